"""Re-triage SQL: stored posts rebuilt as connector Posts, what the cache holds of their triage, the rewrite.

Also the author facts (the customer's stored posts, VIP) that rules read, live and on re-triage.
"""

from __future__ import annotations

import sqlite3
from typing import TypedDict

from socialdesk.models import Author, Post
from socialdesk.store.identities import IdentityRow
from socialdesk.store.rows import json_array, keyset_page, read


def author_facts(
    conn: sqlite3.Connection,
    keys: list[tuple[str, str]],
    identities: dict[tuple[str, str], IdentityRow] | None = None,
) -> dict[tuple[str, str], tuple[int, bool]]:
    """For each (network, author native id): whether the customer has a stored post (every network,
    1 or 0: rules ask only whether the author is a repeat customer) and the VIP flag.

    An existence test stops at the first post; counting walked every post of a busy customer, and was
    most of triage's lookups on the storing thread of a backfill.

    Args:
        identities: filled with each stored identity among `keys` (`identities.IdentityRow`), read by
            the same statement, so storing the batch need not read them again (`Store.remember_authors`).
    """
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    if not keys:
        return found
    # The keys as one JSON array of [network, native id] pairs: one statement for batches of every
    # size (`rows.json_array`), walked first (CROSS JOIN), each pair looked up in identities' key.
    for network, native_id, posts, vip, customer, *identity in conn.execute(
        "SELECT i.network, i.native_id, EXISTS (SELECT 1 FROM posts p INDEXED BY posts_customer "
        "WHERE p.customer_id = i.customer_id), c.vip, c.id, i.customer_id, i.handle, i.display_name, "
        "i.followers, i.url FROM json_each(?) k CROSS JOIN identities i "
        "ON i.network = json_extract(k.value, '$[0]') AND i.native_id = json_extract(k.value, '$[1]') "
        "LEFT JOIN customers c ON c.id = i.customer_id",
        (json_array(keys),),
    ):
        if identities is not None:
            identities[(network, native_id)] = tuple(identity)
        if customer is not None:  # facts only for an identity whose customer exists, as before
            found[(network, native_id)] = (int(posts), bool(vip))
    return found


_STORED_POST = (
    "SELECT p.id, p.network, p.native_id, p.account, p.author_native_id, p.author_handle, p.author_name, "
    "IFNULL(i.followers, 0) AS followers, p.text, p.created_at, p.url, p.in_reply_to, p.conversation_id, "
    "p.kind, p.lang, p.is_ours FROM posts p {indexed}LEFT JOIN identities i "
    "ON i.network = p.network AND i.native_id = p.author_native_id"
)


def _stored_post(
    id: int,
    network: str,
    native_id: str,
    account: str,
    author_native_id: str,
    author_handle: str,
    author_name: str,
    followers: int,
    text: str,
    created_at: float,
    url: str,
    in_reply_to: str | None,
    conversation_id: str | None,
    kind: str,
    lang: str,
    is_ours: int,
) -> tuple[int, Post]:
    """A row of _STORED_POST: the post as its connector delivered it, and its cache id."""
    author = Author(author_native_id, author_handle, author_name, followers=followers)
    post = Post(
        network=network,
        native_id=native_id,
        account=account,
        author=author,
        text=text,
        created_at=created_at,
        url=url,
        in_reply_to=in_reply_to,
        conversation_id=conversation_id,
        kind=kind,
        lang=lang,
        is_ours=bool(is_ours),
    )
    return id, post


def stored_posts_page(
    conn: sqlite3.Connection, since: float, after: tuple[float, int] | None = None, limit: int = 500
) -> list[tuple[int, Post]]:
    """Inbound stored posts since a time, oldest first (keyset), rebuilt as connector Posts for re-triage."""
    rows, _more = keyset_page(
        conn,
        _stored_post,
        _STORED_POST.format(indexed="INDEXED BY posts_feed "),
        "p.created_at >= ? AND p.is_ours = 0",
        [since],
        ("p.created_at", "p.id"),
        after,
        limit,
        descending=False,
    )
    return rows


def stored_posts_by_id(conn: sqlite3.Connection, ids: list[int]) -> list[tuple[int, Post]]:
    """The inbound stored posts among `ids`, oldest first, rebuilt as connector Posts."""
    marks = ",".join("?" * len(ids))
    sql = (
        _STORED_POST.format(indexed="")
        + f" WHERE p.id IN ({marks}) AND p.is_ours = 0 ORDER BY p.created_at, p.id"
    )
    return list(read(_stored_post, conn.execute(sql, ids)))


def author_facts_before(conn: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[int, bool]]:
    """For stored posts: how many posts their customer has stored before each (never itself), and VIP.

    What live sync saw when the post arrived, so a re-triage (dry run, explain, apply) answers the same.
    """
    found: dict[int, tuple[int, bool]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for post_id, prior, vip in conn.execute(
            "SELECT p.id, (SELECT COUNT(*) FROM posts q INDEXED BY posts_customer "
            "WHERE q.customer_id = p.customer_id AND (q.created_at < p.created_at "
            "OR (q.created_at = p.created_at AND q.id < p.id))), IFNULL(c.vip, 0) "
            "FROM posts p LEFT JOIN customers c ON c.id = p.customer_id "
            f"WHERE p.id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            found[int(post_id)] = (int(prior), bool(vip))
    return found


class StoredTriage(TypedDict):
    """What the cache holds of one post's triage."""

    priority: int
    actionable: bool
    assigned_to: str
    status: str
    tags: list[str]


def stored_triage(conn: sqlite3.Connection, ids: list[int]) -> dict[int, StoredTriage]:
    """What the cache holds of each post's triage: priority, actionable, tags, assignee, status."""
    found: dict[int, StoredTriage] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for post_id, priority, actionable, assigned_to, status in conn.execute(
            f"SELECT id, priority, actionable, assigned_to, status FROM posts WHERE id IN ({marks})", chunk
        ):
            found[int(post_id)] = {
                "priority": int(priority),
                "actionable": bool(actionable),
                "assigned_to": str(assigned_to),
                "status": str(status),
                "tags": [],
            }
        for post_id, tag in conn.execute(
            f"SELECT post_id, tag FROM post_tags WHERE post_id IN ({marks}) ORDER BY post_id, tag", chunk
        ):
            found[int(post_id)]["tags"].append(tag)
    return found


def retriage(
    conn: sqlite3.Connection,
    post_id: int,
    *,
    priority: int,
    actionable: bool,
    due_at: float | None,
    add: list[str],
    remove: list[str],
    assign: str = "",
) -> None:
    """Write a re-triage of one stored post (see services.rules_review.apply_review)."""
    conn.execute(
        "UPDATE posts SET priority = ?, actionable = ?, due_at = ? WHERE id = ?",
        (priority, int(actionable), due_at, post_id),
    )
    if assign:
        conn.execute("UPDATE posts SET assigned_to = ? WHERE id = ? AND assigned_to = ''", (assign, post_id))
    conn.executemany(
        "INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?, ?)", [(post_id, t) for t in add]
    )
    conn.executemany("DELETE FROM post_tags WHERE post_id = ? AND tag = ?", [(post_id, t) for t in remove])
