"""Maps post authors to customers: identities created or refreshed, and joined across networks by name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from socialdesk.models import Author, Post

# A stored identity as resolving authors reads it: customer id, handle, display name, followers, url.
IdentityRow = tuple[int, str, str, int, str]


def by_native_id(
    conn: sqlite3.Connection, table: str, columns: str, keys: list[tuple[str, str]]
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(network, row) for the rows of `table` among (network, native id) keys; each row starts with
    the native id, then `columns`. Read 500 ids at a time (SQLite caps bound variables)."""
    by_network: dict[str, list[str]] = {}
    for network, native_id in keys:
        by_network.setdefault(network, []).append(native_id)
    for network, native_ids in by_network.items():
        for start in range(0, len(native_ids), 500):
            chunk = native_ids[start : start + 500]
            sql = (
                f"SELECT native_id, {columns} FROM {table} "
                f"WHERE network = ? AND native_id IN ({','.join('?' * len(chunk))})"
            )
            for row in conn.execute(sql, [network, *chunk]):
                yield network, tuple(row)


def resolve_customers(
    conn: sqlite3.Connection,
    posts: list[Post],
    read: tuple[set[tuple[str, str]], dict[tuple[str, str], IdentityRow]] | None = None,
    written: dict[tuple[str, str], IdentityRow | None] | None = None,
    created: list[int] | None = None,
) -> dict[tuple[str, str], int]:
    """Map each author to a customer, creating identities (and customers) as needed.

    A new identity joins an existing customer on another network when both the display name and
    the handle's local part match: the common case of one person using the same name everywhere.

    Args:
        read: (keys looked up, the identities found among them), read in this transaction with
            nothing written since (see `Store.remember_authors`); authors outside it are read here.
        written: filled with each identity row written, as stored (None: read it again).
        created: filled with the ids of the customers created.
    """
    # Per author: their newest name and handle, and when they were first seen.
    authors: dict[tuple[str, str], tuple[Author, float]] = {}
    newest: dict[tuple[str, str], float] = {}
    for post in posts:
        if post.is_ours:
            continue  # our own accounts are not customers
        key = (post.network, post.author.native_id)
        seen = authors.get(key)
        if seen is None:
            authors[key], newest[key] = (post.author, post.created_at), post.created_at
            continue
        author = seen[0]
        if post.created_at > newest[key]:
            author, newest[key] = post.author, post.created_at
        authors[key] = (author, min(seen[1], post.created_at))
    resolved: dict[tuple[str, str], int] = {}
    if read is not None and read[0].issuperset(authors):
        known = {key: row for key, row in read[1].items() if key in authors}
    else:
        known = _identities(conn, list(authors))
    for (network, native_id), (author, first_seen) in authors.items():
        row = known.get((network, native_id))
        if row is not None:
            known_customer, handle, name, followers, url = row
            # Only write what changes: most authors post again under the same name and handle.
            ints = isinstance(author.followers, int) and isinstance(followers, int)
            same_followers = ints and author.followers <= followers
            profile = author.url or url  # a post that names no profile address keeps the known one
            if handle != author.handle or name != author.display_name or not same_followers or profile != url:
                conn.execute(
                    "UPDATE identities SET handle = ?, display_name = ?, followers = MAX(followers, ?), "
                    "url = ? WHERE network = ? AND native_id = ?",
                    (author.handle, author.display_name, author.followers, profile, network, native_id),
                )
                if written is not None:  # as stored now; followers not both numbers: read it again
                    most = max(followers, author.followers) if ints else None
                    now = (
                        None
                        if most is None
                        else (known_customer, author.handle, author.display_name, most, profile)
                    )
                    written[(network, native_id)] = now
            resolved[(network, native_id)] = known_customer
            continue
        customer_id = _match_customer(conn, network, author)
        if customer_id is None:
            customer_id = conn.execute(
                "INSERT INTO customers (display_name, first_seen) VALUES (?, ?)",
                (author.display_name or author.handle, first_seen),
            ).lastrowid
            if created is not None and customer_id is not None:
                created.append(customer_id)
        conn.execute(
            "INSERT INTO identities (customer_id, network, native_id, handle, display_name, followers, "
            "first_seen, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                network,
                native_id,
                author.handle,
                author.display_name,
                author.followers,
                first_seen,
                author.url,
            ),
        )
        assert customer_id is not None
        resolved[(network, native_id)] = customer_id
        if written is not None:
            written[(network, native_id)] = (
                customer_id,
                author.handle,
                author.display_name,
                author.followers,
                author.url,
            )
    return resolved


def _identities(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], IdentityRow]:
    """The stored identities among (network, native id) keys: customer, handle, name, followers, url."""
    rows = by_native_id(conn, "identities", "customer_id, handle, display_name, followers, url", keys)
    return {(network, row[0]): row[1:] for network, row in rows}


def parent_customer(conn: sqlite3.Connection, post: Post) -> int | None:
    """Our reply belongs to the history of the customer it answers."""
    if not post.in_reply_to:
        return None
    row = conn.execute(
        "SELECT customer_id FROM posts WHERE network = ? AND native_id = ?",
        (post.network, post.in_reply_to),
    ).fetchone()
    return row[0] if row else None


def _match_customer(conn: sqlite3.Connection, network: str, author: Author) -> int | None:
    """The customer on another network with the same display name and handle local part, if any."""
    handle = author.handle
    name = author.display_name
    if not name or not handle:
        return None
    local = handle.lstrip("@").split("@")[0].split(".")[0]
    if len(local) < 4:
        return None
    # Same name first: a cheap comparison that spares most rows the substring search.
    for customer_id, other_handle, other_name in conn.execute(
        "SELECT customer_id, handle, display_name FROM identities "
        "WHERE display_name = ? AND handle LIKE ? COLLATE NOCASE AND network != ?",
        (name, f"%{local}%", network),
    ):
        other_local = other_handle.lstrip("@").split("@")[0].split(".")[0]
        if other_local.lower() == local.lower() and other_name == name:
            return int(customer_id)
    return None
