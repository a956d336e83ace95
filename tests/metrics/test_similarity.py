"""Similar posts: labelled pairs (precision and recall floors), the index, and lone voice or pattern."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, cast

from socialdesk import similarity
from socialdesk.models import Author, Post
from socialdesk.services.patterns import similar_to
from socialdesk.store import Store
from socialdesk.store import similar_index as si

PAIRS = Path(__file__).with_name("similar_pairs.jsonl")
NOW = 1_800_000_000.0


def found_similar(a: str, b: str) -> bool:
    """As the desk finds them: the two meet in a band, and their whole signatures agree enough."""
    sa, sb = similarity.signatures([a, b])
    if sa is None or sb is None:
        return False
    return bool(set(similarity.bands(sa)) & set(similarity.bands(sb))) and similarity.similar_among(
        sa, [(1, sb)]
    ) == [1]


def test_labelled_pairs_precision_and_recall() -> None:
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    pairs = [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]
    predicted = [(found_similar(p["a"], p["b"]), p["similar"]) for p in pairs]
    tp = sum(1 for got, want in predicted if got and want)
    fp = sum(1 for got, want in predicted if got and not want)
    fn = sum(1 for got, want in predicted if not got and want)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"similar pairs: {len(pairs)}, precision {precision:.2f}, recall {recall:.2f}")
    assert len(pairs) >= 30 and precision >= 0.9 and recall >= 0.85


def test_terms_drop_mentions_links_numbers_and_short_posts() -> None:
    assert similarity.terms("@acme order 123 never arrived https://x.co/a") == {
        "order", "never", "arrived", "order never", "never arrived",
    }  # fmt: skip
    assert similarity.terms("thanks!") == set() and similarity.signatures(["ok", ""]) == [None, None]


def store_posts(store: Store, items: list[tuple[str, str, str, float]]) -> list[int]:
    posts = [
        Post(network, f"{network}-{i}", Author(f"{who}-{network}", who), text, at)
        for i, (network, who, text, at) in enumerate(items)
    ]
    return store.upsert_posts(posts).inserted


def test_a_pattern_is_many_customers(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db", clock=lambda: NOW)
    text = "Is acme down for anyone else? Checkout fails with error {n}"
    ids = store_posts(store, [("x", f"user{n}", text.format(n=n), NOW - 60 * n) for n in range(12)])
    store_posts(store, [("x", "other", "Making soup tonight, any recipe ideas for a cold evening?", NOW)])
    pattern = similar_to(store.conn, ids[0], NOW)
    assert pattern is not None and pattern.verdict == "a pattern"
    assert (pattern.hour.posts, pattern.day.customers) == (12, 12) and set(pattern.post_ids) == set(ids)
    assert pattern.summary().startswith("A pattern: 12 posts like this today (12 in the last hour)")


def test_one_voice_across_networks(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db", clock=lambda: NOW)
    text = "@acme you charged me twice for order 4411, please refund me today"
    ids = store_posts(
        store, [(net, "bob", text, NOW - 100 * i) for i, net in enumerate(["x", "bluesky", "mastodon"])]
    )
    # The same person on three networks is three identities; the desk links them to one customer.
    store.conn.execute("UPDATE posts SET customer_id = (SELECT min(customer_id) FROM posts)")
    pattern = similar_to(store.conn, ids[0], NOW)
    assert pattern is not None and pattern.verdict == "one voice" and pattern.day.posts == 3
    assert "across bluesky, mastodon, x" in pattern.summary()


def test_old_posts_and_our_own_are_not_indexed_and_pruning_forgets(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db", clock=lambda: NOW)
    text = "still getting errors on the acme app, forty minutes now"
    old = store_posts(store, [("x", "a", text, NOW - si.RECENT_SECONDS - 10)])
    ours = store.upsert_posts([Post("x", "ours", Author("brand", "acme"), text, NOW, is_ours=True)]).inserted
    new = store_posts(store, [("mastodon", "b", text, NOW - 10)])
    indexed = {r[0] for r in store.conn.execute("SELECT post_id FROM post_signatures")}
    assert indexed == set(new) and not indexed & {*old, *ours}
    assert si.prune(store.conn, NOW) == 1 and si.signature_of(store.conn, new[0]) is None
    assert store.conn.execute("SELECT count(*) FROM post_bands").fetchone()[0] == 0


def test_looking_up_patterns_prepares_the_same_statements_whatever_the_posts(tmp_path: Path) -> None:
    """Each connection keeps its last 128 statements prepared, keyed by their SQL text: a lookup
    whose text held its post ids left one more statement (tens of KiB each in SQLite's memory) in
    every pool thread's cache for each post an agent rested on, until the caches were full."""
    store = Store(tmp_path / "c.db", clock=lambda: NOW)
    text = "Is acme down for anyone else? Checkout fails with error {n}"
    ids = store_posts(store, [("x", f"user{n}", text.format(n=n), NOW - 60 * n) for n in range(12)])
    statements: set[str] = set()

    class Recording:
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            statements.add(sql)
            return store.conn.execute(sql, *args)

    for first in range(8):
        si.voices(cast(sqlite3.Connection, Recording()), ids[first:], NOW - 86_400)
    assert len(statements) == 1, statements
    assert si.voices(store.conn, ids[3:], NOW - 86_400).posts == 9
