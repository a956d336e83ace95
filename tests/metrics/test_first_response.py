"""A reply the brand posted on the network itself, outside the desk, is the customer's first response."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from socialdesk.models import Author, Post
from socialdesk.services.metrics import Metrics, Period
from socialdesk.store import Store, Triage
from socialdesk.store.migrate import statements
from socialdesk.store.schema import migrations
from tests.metrics.fixtures import DAY, NOW, T0, post, responded

BRAND = Author("brand-id", "acme", "Acme")


def ours(native: str, network: str, at: float, parent: str) -> Post:
    """Our own post replying to `parent`, as a sync delivers it (written on the network, not the desk)."""
    return Post(network, native, BRAND, "Sorry! Looking into it", at, account="brand", in_reply_to=parent,
                is_ours=True)  # fmt: skip


def first_response(store: Store, post_id: int) -> float | None:
    return store.conn.execute("SELECT first_response_at FROM posts WHERE id = ?", (post_id,)).fetchone()[0]


def test_our_posts_from_outside_the_desk_answer_the_posts_they_reply_to(store: Store) -> None:
    a = post(store, "a", "x", T0 + 3600, "negative", due_in=900)
    store.upsert_posts([ours("r-a", "x", T0 + 3600 + 300, "a")])  # a later sync brings our reply
    # Our reply and the post it answers in one batch, the reply first.
    store.upsert_posts(
        [ours("r-b", "mastodon", T0 + 7200 + 600, "b"),
         Post("mastodon", "b", Author("u-b", "ub"), "text b", T0 + 7200, account="brand")],
        [Triage(), Triage(actionable=True, sentiment_label="neutral", due_at=T0 + 7200 + 3600)],
    )  # fmt: skip
    b = store.conn.execute("SELECT id FROM posts WHERE native_id = 'b'").fetchone()[0]
    store.upsert_posts([ours("r-c", "x", T0 + 10000 + 1200, "c")])  # our reply is stored first ...
    c = post(store, "c", "x", T0 + 10000, "neutral", due_in=900)  # ... the post it answers later
    d = post(store, "d", "bluesky", T0 + 20000, "neutral", due_in=3600)
    responded(store, d, T0 + 20000 + 2000)  # the desk's reply went out after 2000 s ...
    store.upsert_posts([ours("r-d", "bluesky", T0 + 20000 + 500, "d")])  # ... one on the network at 500 s
    e = post(store, "e", "x", T0 + 30000, "neutral", due_in=900)
    store.upsert_posts([ours("r-e2", "x", T0 + 30000 + 100, "r-e1")])  # ours answering ours: no response
    store.upsert_posts([ours("r-e3", "mastodon", T0 + 30000 + 100, "e")])  # another network's "e"
    store.upsert_posts([ours("r-e4", "x", T0 + 30000 - 100, "e")])  # before the post: not an answer to it
    # A second reply changes nothing, and does not write the post again (nor run its triggers).
    store.conn.execute("CREATE TEMP TABLE rewritten (id)")
    store.conn.execute(
        "CREATE TEMP TRIGGER noted AFTER UPDATE OF first_response_at ON posts "
        "BEGIN INSERT INTO rewritten VALUES (new.id); END"
    )
    store.upsert_posts([ours("r-a2", "x", T0 + 3600 + 900, "a")])
    assert store.conn.execute("SELECT id FROM rewritten").fetchall() == []

    assert first_response(store, a) == T0 + 3600 + 300
    assert first_response(store, b) == T0 + 7200 + 600
    assert first_response(store, c) == T0 + 10000 + 1200
    assert first_response(store, d) == T0 + 20000 + 500
    assert first_response(store, e) is None
    figures = Metrics(store, clock=lambda: NOW).report(Period(T0, T0 + DAY, "day")).figures
    # Answered after 300, 600, 1200 and 500 s: median 550, p90 (nearest rank) 1200.
    assert (figures.answered, figures.first_response_median, figures.first_response_p90) == (4, 550, 1200)
    # a met 15 min, b its hour, d its hour; c missed 15 min; e is unanswered past its 15 min.
    assert (figures.sla_met, figures.sla_missed) == (3, 2)
    assert figures.replies == 0  # replies counts what agents sent from the desk


def test_the_upgrade_finds_the_replies_already_in_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = 19  # the cache as the version before the first-response migration (number 20) left it
    for script in migrations()[:before]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {before}")
    columns = (
        "network, native_id, author_native_id, author_handle, text, created_at, fetched_at, in_reply_to, "
        "is_ours"
    )
    rows = [
        ("x", "p1", "u1", "u1", "where is my order", T0, T0, None, 0),
        ("x", "r1", "brand", "acme", "on its way", T0 + 400, T0, "p1", 1),
        ("x", "r1b", "brand", "acme", "tracking link", T0 + 900, T0, "p1", 1),
        ("x", "p2", "u2", "u2", "hello?", T0 + 100, T0, None, 0),
        ("x", "r2", "brand", "acme", "a thread part", T0 + 500, T0, "r1", 1),
    ]
    conn.executemany(f"INSERT INTO posts ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.close()
    store = Store(path)
    found = dict(store.conn.execute("SELECT native_id, first_response_at FROM posts WHERE is_ours = 0"))
    assert found == {"p1": pytest.approx(T0 + 400), "p2": None}


def test_the_demo_workspace_answers_today(tmp_path: Path) -> None:
    from socialdesk.config import Settings
    from socialdesk.services.metrics import parse_period
    from socialdesk.services.rules import Triager
    from socialdesk.services.sync import Source, sync_source
    from tests.conftest import FIXED_NOW, demo_connector

    now = FIXED_NOW + 60
    demo = Store(tmp_path / "demo.db", clock=lambda: now)
    sync_source(demo, Source("demo", demo_connector(3000)), Triager.from_settings(Settings()).triage_many)
    period = parse_period("today", None, now)
    figures = Metrics(demo, clock=lambda: now).report(period).figures
    # Counted independently: today's actionable customer posts that a post of ours replies to.
    expected = demo.conn.execute(
        "SELECT count(DISTINCT p.id) FROM posts p JOIN posts o ON o.network = p.network "
        "AND o.in_reply_to = p.native_id AND o.is_ours = 1 "
        "WHERE p.is_ours = 0 AND p.actionable = 1 AND p.created_at >= ? AND p.created_at < ?",
        (period.since, period.until),
    ).fetchone()[0]
    assert figures.answered == expected > 50
    assert figures.first_response_median is not None and 120 <= figures.first_response_median <= 3600
