"""One stored post per ActivityPub uri, however many of our accounts on different servers see it.

Each Mastodon server gives a status it receives an id of its own, so two of our accounts on two
servers deliver one status under two native ids. It is stored once, under the id and account that
saw it first (the reply goes out from that account, with that id); each other account's id for it
is kept as an alias, so its posts that answer or belong to the thread point at the stored post.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Sequence

from socialdesk.models import Post


def _alias(conn: sqlite3.Connection, network: str, account: str, native_id: str) -> str | None:
    row = conn.execute(
        "SELECT p.native_id FROM post_aliases a JOIN posts p ON p.id = a.post_id "
        "WHERE a.network = ? AND a.account = ? AND a.native_id = ?",
        (network, account, native_id),
    ).fetchone()
    return str(row[0]) if row else None


def _point(conn: sqlite3.Connection, network: str, account: str, alias: str, native_id: str) -> None:
    """Posts this account stored before the alias was known answer or follow the stored post."""
    for column in ("in_reply_to", "conversation_id"):
        conn.execute(
            f"UPDATE posts SET {column} = ? WHERE network = ? AND account = ? AND {column} = ?",
            (native_id, network, account, alias),
        )


def canonicalize(
    conn: sqlite3.Connection, posts: Sequence[Post], before_change: Callable[[Post], None] | None = None
) -> None:
    """Rewrite, in place, the posts another of our accounts already stored (by uri) to the stored
    id, account and payload, and parents and thread roots known under an alias to the stored ids;
    `before_change` is called with each post before it changes."""
    renamed: dict[tuple[str, str, str], str] = {}
    for post in posts:
        if not post.uri:
            continue
        row = conn.execute(
            "SELECT p.id, p.native_id, p.account, p.raw FROM post_uris u JOIN posts p ON p.id = u.post_id "
            "WHERE u.network = ? AND u.uri = ?",
            (post.network, post.uri),
        ).fetchone()
        if row is None or (row[1] == post.native_id and row[2] == post.account):
            continue
        post_id, native_id, account, raw = row
        if before_change is not None:
            before_change(post)
        if native_id != post.native_id:
            conn.execute(
                "INSERT OR IGNORE INTO post_aliases (network, account, native_id, post_id) "
                "VALUES (?, ?, ?, ?)",
                (post.network, post.account, post.native_id, post_id),
            )
            _point(conn, post.network, post.account, post.native_id, native_id)
            renamed[(post.network, post.account, post.native_id)] = native_id
        with contextlib.suppress(ValueError):  # the first account's payload stays: a reply uses its ids
            post.raw = json.loads(raw)
        post.native_id, post.account = native_id, account
    # Most caches never have an alias: then no post needs its parent and root looked up.
    networks = {p.network for p in posts}
    aliased = {
        n
        for n in networks
        if renamed or conn.execute("SELECT 1 FROM post_aliases WHERE network = ? LIMIT 1", (n,)).fetchone()
    }
    for post in posts:
        if post.network not in aliased:
            continue
        for field in ("in_reply_to", "conversation_id"):
            value = getattr(post, field)
            if not value:
                continue
            key = (post.network, post.account, value)
            found = renamed.get(key) or _alias(conn, *key)
            if found:
                if before_change is not None:
                    before_change(post)
                setattr(post, field, found)


def remember_uris(conn: sqlite3.Connection, posts: Sequence[Post]) -> None:
    """Keep the uri of each stored post that has one (the first account's post stands for it)."""
    rows = [(p.network, p.uri, p.network, p.native_id) for p in posts if p.uri]
    conn.executemany(
        "INSERT OR IGNORE INTO post_uris (network, uri, post_id) "
        "SELECT ?, ?, id FROM posts WHERE network = ? AND native_id = ?",
        rows,
    )


def native_id_for(conn: sqlite3.Connection, post_id: int, account: str) -> str | None:
    """The id under which `account` knows a stored post (to answer it from that account), or None
    when that account has not seen it."""
    row = conn.execute("SELECT native_id, account FROM posts WHERE id = ?", (post_id,)).fetchone()
    if row is None:
        return None
    if row[1] == account:
        return str(row[0])
    alias = conn.execute(
        "SELECT native_id FROM post_aliases WHERE post_id = ? AND account = ?", (post_id, account)
    ).fetchone()
    return str(alias[0]) if alias else None


def canonical_ids(
    conn: sqlite3.Connection, network: str, account: str, native_ids: Sequence[str]
) -> list[str]:
    """`account`'s ids for posts, as stored (an alias becomes the id the post is stored under)."""
    return [_alias(conn, network, account, native_id) or native_id for native_id in native_ids]


def folded(
    conn: sqlite3.Connection, network: str, native_ids: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Each stored post's aliases, (native id, account), among the posts stored under `native_ids`
    (a team hub publishes them: a new leader's cache will not have learnt them)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for start in range(0, len(native_ids), 500):
        chunk = list(native_ids[start : start + 500])
        rows = conn.execute(
            "SELECT p.native_id, a.native_id, a.account FROM posts p JOIN post_aliases a ON a.post_id = p.id "
            f"WHERE p.network = ? AND p.native_id IN ({','.join('?' * len(chunk))})",
            [network, *chunk],
        )
        for stored, alias, account in rows:
            found.setdefault(str(stored), []).append((str(alias), str(account)))
    return found
