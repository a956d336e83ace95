"""Stores a batch of admitted posts so that one post SQLite still refuses is quarantined, never its
neighbours: the batch is tried whole, and only when it fails for its data, post by post. Posts by
any of our accounts are ours, and a status another of our accounts stored is stored once.

The whole-batch try runs under a savepoint, so that a refused batch can be undone before the posts
are stored one by one. SQLite keeps a copy of every page a savepoint changes: for the sync engine's
backfills that was a fifth of the posts INSERT's time, so it may store without one (`careful=False`)
and, on `BatchRefused`, roll its own transaction back, put the posts back as fetched (`AsFetched`) and
store them again with care.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter

import msgspec

from socialdesk.models import Post
from socialdesk.store.aliases import canonicalize, remember_uris
from socialdesk.store.db import Store, Triage
from socialdesk.store.first_response import GroupAnswers
from socialdesk.store.own_accounts import mark_ours

# Failures caused by what a post holds. A full disk, a read-only file or a lock (OperationalError)
# is about the place, not the post: those propagate and the whole batch waits for the next try.
DATA_ERRORS = (
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
    sqlite3.InterfaceError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
)


# What storing changes in the posts themselves: ours or not (mark_ours), and the id, account, payload,
# parent and root of a status another of our accounts stored first (canonicalize).
_CHANGED = ("native_id", "account", "raw", "in_reply_to", "conversation_id", "is_ours", "kind")
_changed_fields = attrgetter(*_CHANGED)


class BatchRefused(Exception):
    """A batch stored without a savepoint held a post SQLite refuses; the caller's transaction holds
    part of it and must be rolled back."""


class AsFetched:
    """The posts storing has changed (`mark_ours`, `canonicalize`), each as it was fetched, to put back
    after a rolled-back try. Only those are kept: most posts of a backfill are never changed."""

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        self._kept: dict[int, tuple[Post, tuple[object, ...]]] = {}

    def keep(self, post: Post) -> None:
        """Note `post` as it is now, unless it was noted before (a post changed twice keeps its first)."""
        if id(post) not in self._kept:  # the post is held here, so its id is not reused meanwhile
            self._kept[id(post)] = (post, _changed_fields(post))

    def put_back(self) -> None:
        """Restore every noted post as it was noted."""
        for post, values in self._kept.values():
            for name, value in zip(_CHANGED, values, strict=True):
                setattr(post, name, value)
        self._kept.clear()


class Stored(msgspec.Struct):
    """What one batch did: new post ids, refreshed posts, posts quarantined as impossible to store."""

    inserted: list[int] = msgspec.field(default_factory=list)
    updated: int = 0
    quarantined: int = 0


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("SAVEPOINT ingest")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO ingest")
        conn.execute("RELEASE ingest")
        raise
    conn.execute("RELEASE ingest")


def store_posts(
    store: Store,
    source: str,
    posts: Sequence[Post],
    triages: Sequence[Triage] | None = None,
    *,
    careful: bool = True,
    fetched: AsFetched | None = None,
    group: GroupAnswers | None = None,
) -> Stored:
    """Upsert `posts` (with their triage, same order) in one transaction; quarantine under `source`
    each post that cannot be stored, and store the rest.

    Args:
        careful: try the batch under a savepoint. Without one (False), a refused batch raises
            `BatchRefused` with part of it written: only for a caller that rolls back its own
            transaction, then stores the batch again (see the module's docstring).
        fetched: notes each post before storing first changes it, for such a caller to put back.
        group: the first responses of the group of batches stored in the caller's transaction.

    Raises:
        BatchRefused: `careful` is False and SQLite refused a post of the batch.
    """
    stored = Stored()
    if not posts:
        return stored
    with store.transaction(bounded_writes=True) as conn:
        keep = fetched.keep if fetched is not None else None
        mark_ours(conn, posts, keep)
        canonicalize(conn, posts, keep)
        if not careful:
            try:
                result = store.upsert_posts(posts, triages, group)
                remember_uris(conn, posts)
            except DATA_ERRORS as exc:
                raise BatchRefused(f"{type(exc).__name__}: {exc}") from exc
            stored.inserted, stored.updated = result.inserted, result.updated
            return stored
        try:
            with _savepoint(conn):
                result = store.upsert_posts(posts, triages, group)
                remember_uris(conn, posts)
        except DATA_ERRORS:
            store.forget_authors()  # the savepoint took back identities the batch may have written
        else:
            stored.inserted, stored.updated = result.inserted, result.updated
            return stored
        for index, post in enumerate(posts):
            triage = [triages[index]] if triages is not None else None
            try:
                with _savepoint(conn):
                    one = store.upsert_posts([post], triage, group)
                    remember_uris(conn, [post])
            except DATA_ERRORS as exc:
                store.forget_authors()
                error = f"cannot store {post.network}:{post.native_id}: {type(exc).__name__}: {exc}"
                store.quarantine(source, error[:1000], post.as_json())
                stored.quarantined += 1
                continue
            stored.inserted.extend(one.inserted)
            stored.updated += one.updated
    return stored
