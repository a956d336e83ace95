"""The similar-posts index: recent customer posts' signatures and LSH band keys, and the reads on them.

Only posts that arrived within RECENT_SECONDS are indexed (the desk asks about the last hour and day,
and spikes look back a week), and `prune` drops what has aged out, so the index stays the size of a
week of traffic however large the cache grows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import msgspec

from socialdesk import similarity
from socialdesk.models import Post
from socialdesk.store.rows import json_array

RECENT_SECONDS = 8 * 86400
CANDIDATE_LIMIT = 5000


def index_new_posts(conn: sqlite3.Connection, posts: Iterable[tuple[int, Post]], now: float) -> int:
    """Index the recent customer posts among newly stored (id, post) pairs; returns how many."""
    recent = [(pid, p) for pid, p in posts if not p.is_ours and p.created_at >= now - RECENT_SECONDS]
    if not recent:
        return 0
    signatures = similarity.signatures([p.text for _, p in recent])
    rows = [(pid, p.created_at, sig) for (pid, p), sig in zip(recent, signatures, strict=True) if sig]
    conn.executemany(
        "INSERT OR IGNORE INTO post_signatures (post_id, created_at, sig) VALUES (?, ?, ?)", rows
    )
    conn.executemany(
        "INSERT OR IGNORE INTO post_bands (bucket, created_at, post_id) VALUES (?, ?, ?)",
        [(band, at, pid) for pid, at, sig in rows for band in similarity.bands(sig)],
    )
    return len(rows)


def signature_of(conn: sqlite3.Connection, post_id: int) -> bytes | None:
    """A post's signature, if it is indexed."""
    row = conn.execute("SELECT sig FROM post_signatures WHERE post_id = ?", (post_id,)).fetchone()
    return row[0] if row else None


def similar_posts(conn: sqlite3.Connection, post_id: int, since: float) -> list[int]:
    """Posts since `since` similar to this one (itself included), found by band and checked whole."""
    signature = signature_of(conn, post_id)
    if signature is None:
        return []
    keys = similarity.bands(signature)
    marks = ",".join("?" * len(keys))
    candidates = conn.execute(
        f"SELECT DISTINCT b.post_id, s.sig FROM post_bands b JOIN post_signatures s ON s.post_id = b.post_id "
        f"WHERE b.bucket IN ({marks}) AND b.created_at >= ? LIMIT ?",
        (*keys, since, CANDIDATE_LIMIT),
    ).fetchall()
    return similarity.similar_among(signature, [(r[0], r[1]) for r in candidates])


class Voices(msgspec.Struct, frozen=True):
    """How many posts, from how many customers, on which networks."""

    posts: int
    customers: int
    networks: tuple[str, ...]
    loudest: int  # posts by the customer who wrote the most of them


def voices(conn: sqlite3.Connection, post_ids: Sequence[int], since: float) -> Voices:
    """Who wrote these posts since `since`.

    The ids go in as one JSON array, so every lookup is the same statement: written into the SQL,
    each post's lookup prepared one more that stayed in its thread's statement cache (README, "Soak").
    """
    if not post_ids:
        return Voices(0, 0, (), 0)
    rows = conn.execute(
        "SELECT customer_id, network, count(*) FROM posts WHERE id IN (SELECT value FROM json_each(?)) "
        "AND created_at >= ? GROUP BY customer_id, network",
        (json_array(int(i) for i in post_ids), since),
    ).fetchall()
    per_customer: dict[object, int] = {}
    for customer, _, count in rows:
        per_customer[customer] = per_customer.get(customer, 0) + count
    networks = tuple(sorted({network for _, network, _ in rows}))
    return Voices(
        sum(per_customer.values()), len(per_customer), networks, max(per_customer.values(), default=0)
    )


def busiest_bands(
    conn: sqlite3.Connection, since: float, until: float, limit: int = 20
) -> list[tuple[int, int]]:
    """The band keys most posts in [since, until) share: (bucket, posts), busiest first."""
    return [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT bucket, count(*) AS n FROM post_bands INDEXED BY post_bands_time WHERE created_at >= ? "
            "AND created_at < ? GROUP BY bucket ORDER BY n DESC LIMIT ?",
            (since, until, limit),
        )
    ]


def band_counts(conn: sqlite3.Connection, bucket: int, since: float, until: float) -> int:
    """Posts in one band between two times."""
    row = conn.execute(
        "SELECT count(*) FROM post_bands WHERE bucket = ? AND created_at >= ? AND created_at < ?",
        (bucket, since, until),
    ).fetchone()
    return int(row[0])


def band_posts(conn: sqlite3.Connection, bucket: int, since: float, until: float) -> list[int]:
    """The posts in one band in [since, until), newest first."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT post_id FROM post_bands WHERE bucket = ? AND created_at >= ? AND created_at < ? "
            "ORDER BY created_at DESC",
            (bucket, since, until),
        )
    ]


def prune(conn: sqlite3.Connection, before: float, batch: int = 5000) -> int:
    """Drop index entries of posts that arrived before `before`, a batch at a time; returns how many."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT post_id FROM post_signatures INDEXED BY post_signatures_time "
            "WHERE created_at < ? LIMIT ?",
            (before, batch),
        )
    ]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    conn.execute(
        f"DELETE FROM post_bands INDEXED BY post_bands_time WHERE created_at < ? AND post_id IN ({marks})",
        (before, *ids),
    )
    conn.execute(f"DELETE FROM post_signatures WHERE post_id IN ({marks})", ids)
    return len(ids)
