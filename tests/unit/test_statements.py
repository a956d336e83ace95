"""Lookups of many values prepare one statement, whatever the number of values (`rows.json_array`).

Each connection keeps its last 128 statements prepared, keyed by their SQL text, tens of KiB each
in SQLite's memory. A `?` per value made each length a statement of its own: over a shift, the feed's
tag reads and the sync's batches of one-off lengths filled one pool thread's cache after another.
"""

from __future__ import annotations

import sqlite3
from typing import Any, cast

from socialdesk.models import Author, Post
from socialdesk.store import Store, Triage
from socialdesk.store.first_response import mark_answered
from socialdesk.store.queries import feed_page
from socialdesk.store.queue_queries import set_status, without_closed
from socialdesk.store.retriage_queries import author_facts

NOW = 1_800_000_000.0


class Recording:
    """A connection that notes the SQL text of every statement run through it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: set[str] = set()

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.statements.add(sql)
        return self.conn.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.statements.add(sql)
        return self.conn.executemany(sql, *args)


def customer_posts(store: Store, count: int) -> list[int]:
    """`count` customer posts, one author each, every post tagged with its own tag and a shared one."""
    posts = [Post("x", f"p{n}", Author(f"u{n}", f"user{n}"), f"text {n}", NOW - n) for n in range(count)]
    triage = [Triage(tags=("billing", f"t{n:02}")) for n in range(count)]
    return store.upsert_posts(posts, triage).inserted


def test_feed_pages_of_every_length_read_their_tags_with_the_same_statements(store: Store) -> None:
    customer_posts(store, 12)
    conn = Recording(store.conn)
    pages = [feed_page(cast(sqlite3.Connection, conn), limit=n) for n in range(1, 13)]
    assert len(conn.statements) == 2, conn.statements  # the page, its tags
    assert [r.tags for r in pages[-1].rows[:2]] == [("billing", "t00"), ("billing", "t01")]
    assert all(row.tags == ("billing", f"t{n:02}") for n, row in enumerate(pages[-1].rows))


def test_author_facts_of_batches_of_every_size_are_one_statement(store: Store) -> None:
    customer_posts(store, 6)
    conn = Recording(store.conn)
    keys = [("x", f"u{n}") for n in range(6)] + [("x", "stranger"), ("mastodon", "u0")]
    for size in range(1, len(keys) + 1):
        found = author_facts(cast(sqlite3.Connection, conn), keys[:size])
        assert set(found) == set(keys[: min(size, 6)])
    assert len(conn.statements) == 1, conn.statements
    identities: dict[tuple[str, str], Any] = {}
    assert author_facts(store.conn, keys, identities) == {key: (1, False) for key in keys[:6]}
    assert set(identities) == set(keys[:6]) and identities[("x", "u3")][1] == "user3"


def test_new_posts_of_batches_of_every_size_take_our_answers_with_the_same_statement(store: Store) -> None:
    ours = [
        Post("x", f"r{n}", Author("brand", "acme"), "Sorry!", NOW + 60, in_reply_to=f"p{n}", is_ours=True)
        for n in range(6)
    ]
    store.upsert_posts(ours)  # our replies reached the cache before the posts they answer
    ids = customer_posts(store, 6)
    store.conn.execute("UPDATE posts SET first_response_at = NULL")  # as before the batches' step
    conn = Recording(store.conn)
    for size in range(1, 7):
        mark_answered(cast(sqlite3.Connection, conn), [], ids[:size])
    assert len(conn.statements) == 2, conn.statements  # our replies in the batch, the new posts
    answered = store.conn.execute("SELECT native_id FROM posts WHERE first_response_at = ?", (NOW + 60,))
    assert sorted(r[0] for r in answered) == [f"p{n}" for n in range(6)]


def test_resolving_conversations_of_every_size_is_the_same_statements(store: Store) -> None:
    """Setting a status runs the metrics triggers: each such statement is among the largest kept."""
    ids = customer_posts(store, 6)
    conn = Recording(store.conn)
    for size in range(1, 7):
        chosen = without_closed(cast(sqlite3.Connection, conn), ids[:size])
        set_status(cast(sqlite3.Connection, conn), chosen, "resolved", at=NOW + size)
    assert len(conn.statements) == 2, conn.statements
    statuses = store.conn.execute("SELECT status, status_at FROM posts ORDER BY created_at DESC")
    assert [tuple(r) for r in statuses] == [("resolved", NOW + 6)] * 6
    set_status(store.conn, ids[:2], "closed")
    assert without_closed(store.conn, ids) == ids[2:]
