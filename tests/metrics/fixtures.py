"""A hand-computed day of a small team, for the metrics tests (the expected figures are in the tests)."""

from __future__ import annotations

import json

from socialdesk.models import Author, Post
from socialdesk.store import Store, Triage

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 86400  # a UTC midnight
DAY = 86400.0
NOW = T0 + 82000


def post(store: Store, native: str, network: str, at: float, sentiment: str, actionable: bool = True,
         due_in: float | None = None, status: str = "new") -> int:  # fmt: skip
    result = store.upsert_posts(
        [Post(network, native, Author(f"u-{native}", f"u{native}"), f"text {native}", at, account="brand")],
        [Triage(status=status, sentiment_label=sentiment, actionable=actionable,
                due_at=None if due_in is None else at + due_in)],
    )  # fmt: skip
    return result.inserted[0]


def responded(store: Store, post_id: int, at: float) -> None:
    store.conn.execute("UPDATE posts SET first_response_at = ? WHERE id = ?", (at, post_id))


def reply(store: Store, post_id: int, network: str, agent: str, at: float, state: str = "sent",
          part: int = 1) -> None:  # fmt: skip
    store.conn.execute(
        "INSERT INTO replies (post_id, network, account, text, state, idempotency_key, agent, part, "
        "created_at, updated_at) VALUES (?, ?, 'brand', 'Sorry!', ?, ?, ?, ?, ?, ?)",
        (post_id, network, state, f"k-{post_id}-{at}-{part}", agent, part, at - 30, at),
    )


def status(store: Store, post_id: int, value: str, agent: str, at: float) -> None:
    store.conn.execute(
        "INSERT INTO audit (at, agent, action, post_id, detail) VALUES (?, ?, 'status', ?, ?)",
        (at, agent, post_id, json.dumps({"status": value})),
    )


def a_day(store: Store) -> dict[str, int]:
    """Five customer posts in the day starting at T0, one from the day before, replies and changes."""
    ids = {
        "p1": post(store, "1", "x", T0 + 3600, "negative", due_in=900),
        "p2": post(store, "2", "mastodon", T0 + 7200, "neutral", due_in=3600),
        "p3": post(store, "3", "x", T0 + 10800, "positive", actionable=False),
        "p4": post(store, "4", "bluesky", T0 + 14400, "negative", due_in=900, status="open"),
        "p5": post(store, "5", "x", T0 + 80000, "neutral", due_in=3600),
        "p6": post(store, "6", "x", T0 - 3600, "negative", due_in=900),
    }
    responded(store, ids["p1"], T0 + 3600 + 600)
    responded(store, ids["p2"], T0 + 7200 + 5400)
    reply(store, ids["p1"], "x", "ann", T0 + 4200)
    reply(store, ids["p2"], "mastodon", "bob", T0 + 12600)
    reply(store, ids["p2"], "mastodon", "bob", T0 + 12600, part=2)  # the second part of a thread
    reply(store, ids["p4"], "bluesky", "ann", T0 + 15000, state="discarded")  # taken back with undo
    status(store, ids["p6"], "resolved", "ann", T0 + 1800)
    status(store, ids["p1"], "resolved", "ann", T0 + 3600 + 1200)
    status(store, ids["p2"], "resolved", "bob", T0 + 9000)
    status(store, ids["p2"], "open", "bob", T0 + 9500)
    status(store, ids["p2"], "resolved", "bob", T0 + 12000)
    return ids
