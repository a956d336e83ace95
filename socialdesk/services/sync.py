"""The sync engine: fetches each source from its persisted cursor, classifies, stores, and reports.

It is synchronous and UI-free: the app runs `sync_source` in a thread worker per source and turns
each `SyncReport` into a message; `socialdesk sync --once` calls it directly.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Protocol

import msgspec

from socialdesk.connectors.admit import admit_all
from socialdesk.connectors.base import (
    AuthError,
    ConfigError,
    Connector,
    ConnectorError,
    FetchResult,
    RateLimited,
)
from socialdesk.models import Post
from socialdesk.store import Store, Triage
from socialdesk.store.account_auth import AuthMark, auth_marks, clear_auth, mark_needs_auth
from socialdesk.store.aliases import canonical_ids
from socialdesk.store.first_response import GroupAnswers
from socialdesk.store.ingest import AsFetched, BatchRefused, store_posts
from socialdesk.store.own_accounts import remember_own


def _shown(exc: BaseException) -> str:
    """An exception as one safe line: known secrets masked, terminal controls removed."""
    from socialdesk.sanitize import clean
    from socialdesk.secrets import redact

    return clean(redact(str(exc)), single_line=True)


# Pages fetched back to back are stored together, one transaction for up to this many posts (each
# page's cursor with its posts): a commit per page (FTS5 flushes a segment at each) made a backfill
# store at about two thirds of the speed of one transaction. A group is stored once its first page
# has waited this long, however few posts it holds.
GROUP_POSTS = 2000
GROUP_SECONDS = 2.0

# Classifies a batch of posts before they are stored (the triage service's rules and models).
TriageFn = Callable[[Sequence[Post], Store], list[Triage]]


class PreparedBatch(Protocol):
    """A page whose triage has begun; `finish` completes it against the store, just before storing."""

    def finish(self, store: Store) -> list[Triage] | None: ...


class TriageBatches(Protocol):
    """What a TriageFn may also offer (`triage.batches()`, see `rules.Triager.batches`) to triage ahead.

    The engine starts each page as soon as it is fetched and finishes it once every earlier page is
    stored, so the store-independent work (classification) of one page can run in another process
    while the previous page is stored. `finish` must give what `triage(posts, store)` would.
    """

    def __enter__(self) -> TriageBatches: ...

    def __exit__(self, *exc: object) -> None: ...

    def start(self, posts: Sequence[Post], more: bool = False) -> PreparedBatch: ...


class _Deferred(msgspec.Struct):
    """A plain TriageFn's batch: all the work happens in `finish`."""

    triage: TriageFn | None
    posts: Sequence[Post]

    def finish(self, store: Store) -> list[Triage] | None:
        return self.triage(self.posts, store) if self.triage is not None else None


class _InProcess(msgspec.Struct):
    """Batches for a TriageFn without `batches()` (or none): triage when the page is stored."""

    triage: TriageFn | None

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self, posts: Sequence[Post], more: bool = False) -> PreparedBatch:
        return _Deferred(self.triage, posts)


def admitted(result: FetchResult) -> FetchResult:
    """The page with the posts the cache cannot hold moved to its quarantined items (see connectors.admit)."""
    result.posts, refused = admit_all(result.posts)
    result.quarantined.extend(refused)
    return result


def _batches(triage: TriageFn | None) -> TriageBatches:
    opener = getattr(triage, "batches", None)
    return opener() if callable(opener) else _InProcess(triage)


class SourceState(StrEnum):
    """What the header shows for one source."""

    IDLE = "idle"
    OK = "ok"
    SYNCING = "syncing"
    RATE_LIMITED = "rate-limited"
    NEEDS_AUTH = "needs auth"
    ERROR = "error"
    OFFLINE = "offline"


class Source(msgspec.Struct):
    """One account's connector and the name its cursor is kept under."""

    name: str
    connector: Connector

    @property
    def network(self) -> str:
        """The connector's name (the network it speaks to)."""
        return self.connector.name


class SyncReport(msgspec.Struct):
    """The outcome of syncing one source once."""

    source: str
    state: SourceState
    new_ids: list[int] = msgspec.field(default_factory=list)
    updated: int = 0
    quarantined: int = 0
    message: str = ""
    retry_at: float | None = None  # rate limited until
    finished_at: float = 0.0
    deleted: int = 0  # stored posts newly marked deleted
    reached: float | None = None  # how far back this source's syncs have read (see FetchResult)

    def reach_text(self, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """ "back to <local time>", or "" when the source reports no backfill."""
        if self.reached is None:
            return ""
        return f"back to {time.strftime(fmt, time.localtime(self.reached))}"


def auth_backoff(store: Store, source: str, now: float) -> AuthMark | None:
    """The refusal a headless sync should wait out before trying `source` again, if any."""
    mark = auth_marks(store.conn).get(source)
    return mark if mark is not None and now < mark.retry_at else None


def sync_source(
    store: Store,
    source: Source,
    triage: TriageFn | None = None,
    max_pages: int = 50,
    clock: Callable[[], float] = time.time,
    on_page: Callable[[FetchResult], None] | None = None,
) -> SyncReport:
    """Fetch everything new from one source and store it; never raises for network trouble.

    Each page is stored together with its cursor in one transaction, so a crash or restart resumes
    from the last stored page and never duplicates (posts are keyed by network and native id); pages
    fetched back to back share one transaction (up to `GROUP_POSTS` posts), each page's cursor with
    its posts. The next group is fetched, and its triage started (see `TriageBatches`), before a
    group is stored.
    Posts a page reports deleted are marked so; how far back the source has read (the oldest
    `FetchResult.reached` ever stored) comes back in `SyncReport.reached`. `on_page` is called with
    each page inside its transaction, after the cursor: a team hub publishes the page there, so the
    cache never runs ahead of the shared database (a failure rolls the page back here too); with
    `on_page`, every page has a transaction of its own.

    Raises:
        sqlite3.Error: the cache could not be written (a full disk, a read-only file ...).
    """
    # Every write of the sync happens inside, so the authors it learned serve the next sync on this thread.
    with store.remembering_authors():
        return _sync_source(store, source, triage, max_pages, clock, on_page)


def _sync_source(
    store: Store,
    source: Source,
    triage: TriageFn | None,
    max_pages: int,
    clock: Callable[[], float],
    on_page: Callable[[FetchResult], None] | None,
) -> SyncReport:
    report = SyncReport(source=source.name, state=SourceState.OK)
    cursor = store.get_cursor(source.name)

    def store_page(
        result: FetchResult,
        prepared: PreparedBatch,
        group: GroupAnswers,
        careful: bool = True,
        fetched: AsFetched | None = None,
    ) -> Callable[[], None]:
        """Store one page inside the group's transaction; what it adds to the report, once committed."""
        triages = prepared.finish(store)  # after every earlier page: their authors count as known
        own = source.connector.own_author()
        if own is not None:  # before the posts: another of our accounts' posts are ours too
            changes = store.conn.total_changes
            remember_own(store.conn, source.network, source.name, own, clock())
            if store.conn.total_changes != changes:  # it may have taken identities from customers
                store.forget_authors()
        stored = store_posts(
            store, source.name, result.posts, triages, careful=careful, fetched=fetched, group=group
        )
        for item in result.quarantined:
            store.quarantine(source.name, item.error, item.raw)
        gone: list[int] = []
        if result.deleted:
            canonical = canonical_ids(store.conn, source.network, source.name, result.deleted)
            gone = store.mark_deleted(source.network, canonical)
        if result.reached is not None:
            store.set_reached(source.name, result.reached)
        store.set_cursor(source.name, result.cursor)
        if on_page is not None:
            on_page(result)

        def report_it() -> None:
            if result.errors:  # one stream failed, the others' posts are stored: say which
                report.state = SourceState.ERROR
                report.message = "; ".join(_shown(Exception(e)) for e in result.errors)
            report.new_ids.extend(stored.inserted)
            report.updated += stored.updated
            report.quarantined += len(result.quarantined) + stored.quarantined
            report.deleted += len(gone)

        return report_it

    def store_group(group: list[tuple[FetchResult, PreparedBatch]]) -> None:
        reported: list[Callable[[], None]] | None = None
        posts = [p for result, _ in group for p in result.posts]  # each try answers them afresh
        if on_page is None and not store.conn.in_transaction:
            # Without savepoints (see store.ingest): if a post is refused, the group rolls back
            # whole and is stored again with care, from the posts as they were fetched.
            fetched = AsFetched()
            try:
                with store.transaction(bounded_writes=True):
                    answers = GroupAnswers(posts)
                    reported = [store_page(*page, answers, careful=False, fetched=fetched) for page in group]
            except BatchRefused:
                fetched.put_back()
        if reported is None:
            with store.transaction(bounded_writes=True):
                answers = GroupAnswers(posts)
                reported = [store_page(*page, answers) for page in group]
        for report_it in reported:  # only what was committed
            report_it()

    # A page published elsewhere (a hub's on_page) commits alone, with the shared database's own commit.
    group_posts = GROUP_POSTS if on_page is None else 1
    try:
        with _batches(triage) as batches:
            # One group ahead: group n + 1 is fetched, and its pages' triage started, before group n
            # is stored, so a worker triages the next pages while these are stored.
            filling: list[tuple[FetchResult, PreparedBatch]] = []
            full: list[tuple[FetchResult, PreparedBatch]] = []
            began = 0.0
            for _ in range(max_pages):
                try:
                    result = admitted(source.connector.fetch(cursor))
                except Exception:  # keep the pages fetched before the failure
                    for group in (full, filling):
                        if group:
                            store_group(group)
                    raise
                if not filling:
                    began = time.monotonic()
                filling.append((result, batches.start(result.posts, more=result.more)))
                cursor = result.cursor
                if not result.more:
                    break
                if (
                    sum(len(r.posts) for r, _ in filling) >= group_posts
                    or time.monotonic() - began >= GROUP_SECONDS
                ):
                    done, full, filling = full, filling, []
                    if done:
                        store_group(done)
            for group in (full, filling):
                if group:
                    store_group(group)
    except RateLimited as exc:
        report.state = SourceState.RATE_LIMITED
        report.retry_at = exc.until
        report.message = f"rate-limited until {time.strftime('%H:%M', time.localtime(exc.until))}"
    except (AuthError, ConfigError) as exc:
        report.state = SourceState.NEEDS_AUTH
        report.message = _shown(exc) or "needs auth"
        if isinstance(exc, AuthError):  # kept, so doctor and the next (headless) sync know
            mark_needs_auth(store.conn, source.name, report.message, clock())
    except ConnectorError as exc:
        report.state = SourceState.ERROR
        report.message = _shown(exc) or type(exc).__name__
    except sqlite3.Error:  # the cache, not the source, failed (a full disk ...): the caller says so
        raise
    except Exception as exc:  # a broken plugin must never take the desk down
        report.state = SourceState.ERROR
        report.message = f"{type(exc).__name__}: {_shown(exc)}"
    limits = source.connector.server_limits()
    if limits is not None:  # what the server announced this time, for the composer and `reply`
        store.set_limits(source.name, limits.max_length, limits.url_weight)
    if report.state == SourceState.OK:  # the credentials worked
        clear_auth(store.conn, source.name)
    report.reached = store.reached(source.name)
    report.finished_at = clock()
    return report
