"""The counts behind spike detection: customer posts per network, tag and keyword in a stretch of time.

Each count is a range over the posts' time index (posts_feed); a keyword's is an FTS5 match narrowed
to the rowids of that range, so neither scans the posts table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from socialdesk.store.rows import json_array

Counts = dict[str, int]
POSTS_LIMIT = 500  # the posts of a spike opened as a queue (newest first)


def oldest_since(conn: sqlite3.Connection, since: float) -> float | None:
    """When the oldest post at or after `since` arrived (how far back the cache's history reaches)."""
    row = conn.execute(
        "SELECT min(created_at) FROM posts INDEXED BY posts_feed WHERE created_at >= ?", (since,)
    ).fetchone()
    return None if row[0] is None else float(row[0])


def per_network(conn: sqlite3.Connection, since: float, until: float) -> Counts:
    """Customer posts per network in [since, until)."""
    rows = conn.execute(
        "SELECT network, count(*) FROM posts INDEXED BY posts_feed WHERE created_at >= ? AND created_at < ? "
        "AND is_ours = 0 GROUP BY network",
        (since, until),
    )
    return {name: count for name, count in rows}


def per_tag(conn: sqlite3.Connection, since: float, until: float) -> Counts:
    """Tagged customer posts per tag in [since, until)."""
    rows = conn.execute(
        "SELECT t.tag, count(*) FROM posts p INDEXED BY posts_feed JOIN post_tags t ON t.post_id = p.id "
        "WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0 GROUP BY t.tag",
        (since, until),
    )
    return {name: count for name, count in rows}


def _id_range(conn: sqlite3.Connection, since: float, until: float) -> tuple[int, int] | None:
    row = conn.execute(
        "SELECT min(id), max(id) FROM posts INDEXED BY posts_feed WHERE created_at >= ? AND created_at < ?",
        (since, until),
    ).fetchone()
    return None if row[0] is None else (int(row[0]), int(row[1]))


def _match(word: str) -> str:
    """An FTS5 query for one word in the post's text (words are letters only: nothing to escape)."""
    return '{text} : "' + word.replace('"', "") + '"'


def per_keyword(conn: sqlite3.Connection, words: Iterable[str], since: float, until: float) -> Counts:
    """Customer posts in [since, until) whose text holds each word (as the search index reads words)."""
    ids = _id_range(conn, since, until)
    if ids is None:
        return {}
    counts: Counts = {}
    for word in words:
        row = conn.execute(
            "SELECT count(*) FROM posts_fts f JOIN posts p ON p.id = f.rowid WHERE posts_fts MATCH ? "
            "AND f.rowid >= ? AND f.rowid <= ? AND p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0",
            (_match(word), *ids, since, until),
        ).fetchone()
        counts[word] = int(row[0])
    return counts


def ids_between(conn: sqlite3.Connection, since: float, until: float) -> list[int]:
    """The ids of the customer posts in [since, until) (the recent window: where keywords come from)."""
    rows = conn.execute(
        "SELECT id FROM posts INDEXED BY posts_feed WHERE created_at >= ? AND created_at < ? AND is_ours = 0",
        (since, until),
    )
    return [r[0] for r in rows]


def texts_of(conn: sqlite3.Connection, post_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, text) of these posts, those still stored."""
    return conn.execute(
        "SELECT id, text FROM posts WHERE id IN (SELECT value FROM json_each(?))",
        (json_array(int(i) for i in post_ids),),
    ).fetchall()


def posts_of(
    conn: sqlite3.Connection, kind: str, name: str, since: float, until: float
) -> tuple[list[int], int]:
    """The customer posts of one network, tag or keyword in [since, until), newest first (at most
    POSTS_LIMIT), and how many distinct customers wrote them."""
    if kind == "network":
        sql = (
            "SELECT p.id, p.customer_id FROM posts p INDEXED BY posts_feed WHERE p.created_at >= ? "
            "AND p.created_at < ? AND p.is_ours = 0 AND p.network = ?"
        )
        params: tuple[object, ...] = (since, until, name)
    elif kind == "tag":
        sql = (
            "SELECT p.id, p.customer_id FROM posts p INDEXED BY posts_feed JOIN post_tags t "
            "ON t.post_id = p.id AND t.tag = ? WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0"
        )
        params = (name, since, until)
    else:
        ids = _id_range(conn, since, until)
        if ids is None:
            return [], 0
        sql = (
            "SELECT p.id, p.customer_id FROM posts_fts f JOIN posts p ON p.id = f.rowid WHERE posts_fts "
            "MATCH ? AND f.rowid >= ? AND f.rowid <= ? AND p.created_at >= ? AND p.created_at < ? "
            "AND p.is_ours = 0"
        )
        params = (_match(name), *ids, since, until)
    rows = conn.execute(f"{sql} ORDER BY p.created_at DESC, p.id DESC", params).fetchall()
    return [r[0] for r in rows[:POSTS_LIMIT]], len({r[1] for r in rows})
