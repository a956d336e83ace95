"""The brand as one identity: a post by any of our accounts is ours, whichever account brought it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import msgspec

from socialdesk.models import Author, Post


class OwnIdentity(msgspec.Struct, frozen=True):
    """One of our accounts as its network shows authors (handles and profile urls are global; an
    author's native id may be one server's own, so it counts only for the account that saw it)."""

    network: str
    account: str
    native_id: str
    handle: str
    url: str

    def wrote(self, post: Post) -> bool:
        """Whether this account is the post's author."""
        author = post.author
        if post.network != self.network:
            return False
        if post.account == self.account and author.native_id == self.native_id:
            return True
        if self.handle and author.handle.casefold() == self.handle.casefold():
            return True
        return bool(self.url) and author.url == self.url


def own_identities(conn: sqlite3.Connection) -> list[OwnIdentity]:
    """Every account's identity the syncs have learned."""
    rows = conn.execute("SELECT network, account, native_id, handle, url FROM own_identities")
    return [OwnIdentity(*row) for row in rows]


def mark_ours(
    conn: sqlite3.Connection, posts: Sequence[Post], before_change: Callable[[Post], None] | None = None
) -> None:
    """Mark, in place, the posts written by any of our accounts (another account's stream brought
    them, so their connector could not tell); `before_change` is called with each before it changes."""
    identities = own_identities(conn)
    if not identities:
        return
    for post in posts:
        if not post.is_ours and any(identity.wrote(post) for identity in identities):
            if before_change is not None:
                before_change(post)
            post.is_ours, post.kind = True, "own"


def remember_own(conn: sqlite3.Connection, network: str, account: str, author: Author, now: float) -> int:
    """Keep our account's identity; when it is new or changed, posts already stored as a customer's
    become ours (resolved, out of the queues, not counted as inbound) and the customer identity made
    for it goes. Returns how many stored posts that changed.
    """
    handle = author.handle.lstrip("@")
    known = conn.execute(
        "SELECT native_id, handle, url FROM own_identities WHERE network = ? AND account = ?",
        (network, account),
    ).fetchone()
    if known == (author.native_id, handle, author.url):
        return 0
    conn.execute(
        "INSERT INTO own_identities (network, account, native_id, handle, url, seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (network, account) DO UPDATE SET "
        "native_id = excluded.native_id, handle = excluded.handle, url = excluded.url, "
        "seen_at = excluded.seen_at",
        (network, account, author.native_id, handle, author.url, now),
    )
    changed = conn.execute(
        "UPDATE posts SET is_ours = 1, kind = 'own', status = 'resolved', actionable = 0, "
        "customer_id = (SELECT q.customer_id FROM posts q WHERE q.network = posts.network "
        "AND q.native_id = posts.in_reply_to AND q.is_ours = 0) "
        "WHERE is_ours = 0 AND network = ? "
        "AND ((account = ? AND author_native_id = ?) OR (? != '' AND author_handle = ? COLLATE NOCASE))",
        (network, account, author.native_id, handle, handle),
    ).rowcount
    if not handle:
        return int(changed)
    # The customer made of it (by handle: an author's native id may be another server's own).
    where = "network = ? AND handle = ? COLLATE NOCASE"
    stale = [
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT customer_id FROM identities WHERE {where}", (network, handle)
        )
    ]
    conn.execute(f"DELETE FROM identities WHERE {where}", (network, handle))
    for customer_id in stale:
        left = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM identities WHERE customer_id = ?) "
            "OR EXISTS (SELECT 1 FROM posts WHERE customer_id = ?)",
            (customer_id, customer_id),
        ).fetchone()[0]
        if not left:
            conn.execute("DELETE FROM customers WHERE id = ?", (customer_id,))
    return int(changed)
