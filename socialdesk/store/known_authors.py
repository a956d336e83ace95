"""What one sync has learned of its authors (identities, VIP flags, customers with posts), so later pages
need not read the same authors again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from socialdesk.store.identities import IdentityRow

AuthorKey = tuple[str, str]  # (network, author native id)


class KnownAuthors:
    """The stored identities of authors one sync has read or written, with their customers' facts.

    A backfill's pages repeat most of their authors (README, "Ingest, ninth pass"). Kept by
    `Store.remembering_authors` on one connection; it holds only what that connection's own
    transactions read or wrote, so it is dropped whole when another connection has committed
    (`PRAGMA data_version`), on a rollback, and when the sync writes identities other than by storing
    posts (`forget`). The next sync on the thread takes it only if the connection has written nothing
    since.
    """

    __slots__ = ("data_version", "identities", "vip", "with_posts")

    def __init__(self, data_version: int) -> None:
        self.data_version = data_version
        self.identities: dict[AuthorKey, IdentityRow] = {}
        self.vip: dict[int, bool] = {}  # per customer
        self.with_posts: set[int] = set()  # customers known to have a stored post

    def forget(self, data_version: int | None = None) -> None:
        """Drop everything (what was read may no longer hold)."""
        if data_version is not None:
            self.data_version = data_version
        self.identities.clear()
        self.vip.clear()
        self.with_posts.clear()

    def still_valid(self, conn: sqlite3.Connection) -> KnownAuthors:
        """Itself, emptied first if another connection has committed since it was last checked."""
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        if version != self.data_version:
            self.forget(version)
        return self

    def facts(self, key: AuthorKey) -> tuple[int, bool] | None:
        """(1 if the customer has a stored post else 0, VIP) as `author_facts` reads them; None: not known."""
        row = self.identities.get(key)
        if row is None:
            return None
        vip = self.vip.get(row[0])
        if vip is None:
            return None
        return (1 if row[0] in self.with_posts else 0), vip

    def learn(
        self, facts: dict[AuthorKey, tuple[int, bool]], identities: dict[AuthorKey, IdentityRow]
    ) -> None:
        """Keep what `author_facts` read: the identities, and the facts of those whose customer exists."""
        for key, row in identities.items():
            found = facts.get(key)
            if found is None:
                continue
            self.identities[key] = row
            self.vip[row[0]] = found[1]
            if found[0]:
                self.with_posts.add(row[0])

    def stored(
        self,
        written: dict[AuthorKey, IdentityRow | None],
        new_customers: Iterable[int],
        customers: Iterable[int],
    ) -> None:
        """After a batch of posts is stored: the identity rows it wrote (None: not known as stored), the
        customers it created (not VIPs), and the customers whose posts it stored."""
        for customer in new_customers:
            self.vip[customer] = False
        for key, row in written.items():
            if row is None:
                self.identities.pop(key, None)
            elif key in self.identities or row[0] in self.vip:
                self.identities[key] = row
        self.with_posts.update(customers)
