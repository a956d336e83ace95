"""Maps post authors to customers: identities created or refreshed, and joined across networks by name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from socialdesk.models import Author, Post
from socialdesk.store.rows import json_array

# A stored identity as resolving authors reads it: customer id, handle, display name, followers, url.
IdentityRow = tuple[int, str, str, int, str]

# The identities among display names (a JSON array), oldest first within a name, by the name index.
_SAME_NAMES = (
    "SELECT display_name, customer_id, handle, network FROM identities "
    "WHERE display_name IN (SELECT value FROM json_each(?)) ORDER BY display_name, id"
)


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
    new: list[tuple[tuple[str, str], Author, float]] = []
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
        new.append(((network, native_id), author, first_seen))
    if new:
        _create(conn, new, resolved, written, created)
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


def _create(
    conn: sqlite3.Connection,
    new: list[tuple[tuple[str, str], Author, float]],
    resolved: dict[tuple[str, str], int],
    written: dict[tuple[str, str], IdentityRow | None] | None,
    created: list[int] | None,
) -> None:
    """Store the identities of new authors ((network, native id), author, first seen), each joining the
    customer of a same-named identity on another network (`_joined`), else a customer of its own.

    The identities their names share are read in one statement, and the rows written in one per
    table: an author new in the batch joins one created before it in the batch, as if stored one by one.
    """
    by_name: dict[str, list[tuple[int, str, str]]] = {}
    names = {author.display_name for _, author, _ in new if author.display_name}
    if names:
        for name, customer_id, handle, network in conn.execute(_SAME_NAMES, (json_array(sorted(names)),)):
            by_name.setdefault(name, []).append((customer_id, handle, network))
    # Inside the write transaction, the ids SQLite would give the customers inserted one by one.
    (next_customer,) = conn.execute("SELECT IFNULL(MAX(id), 0) + 1 FROM customers").fetchone()
    new_customers: list[tuple[int, str, float]] = []
    new_identities: list[tuple[object, ...]] = []
    for (network, native_id), author, first_seen in new:
        same_name = by_name.get(author.display_name) if author.display_name else None
        customer_id = _joined(same_name, network, author) if same_name else None
        if customer_id is None:
            customer_id, next_customer = next_customer, next_customer + 1
            new_customers.append((customer_id, author.display_name or author.handle, first_seen))
            if created is not None:
                created.append(customer_id)
        new_identities.append(
            (
                customer_id,
                network,
                native_id,
                author.handle,
                author.display_name,
                author.followers,
                first_seen,
                author.url,
            )
        )
        if author.display_name:
            by_name.setdefault(author.display_name, []).append((customer_id, author.handle, network))
        resolved[(network, native_id)] = customer_id
        if written is not None:
            written[(network, native_id)] = (
                customer_id,
                author.handle,
                author.display_name,
                author.followers,
                author.url,
            )
    conn.executemany("INSERT INTO customers (id, display_name, first_seen) VALUES (?, ?, ?)", new_customers)
    conn.executemany(
        "INSERT INTO identities (customer_id, network, native_id, handle, display_name, followers, "
        "first_seen, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        new_identities,
    )


def _local_part(handle: str) -> str:
    """A handle's part before any server or dot: "dana" of "@dana@mas.to" and of "dana.bsky.social"."""
    return handle.lstrip("@").split("@")[0].split(".")[0]


def _joined(same_name: list[tuple[int, str, str]], network: str, author: Author) -> int | None:
    """The customer of the first of the identities sharing the author's display name (customer, handle,
    network) on another network whose handle has the same local part, ignoring case (none under 4 chars)."""
    if not author.handle:
        return None
    local = _local_part(author.handle)
    if len(local) < 4:
        return None
    local = local.lower()
    for customer_id, handle, other_network in same_name:
        if other_network != network and _local_part(handle).lower() == local:
            return int(customer_id)
    return None
