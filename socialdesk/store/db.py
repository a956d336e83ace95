"""Opens the SQLite cache (WAL, one connection per thread) and writes posts idempotently."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from socialdesk.models import Post
from socialdesk.sanitize import scrub
from socialdesk.store.first_response import GroupAnswers, answered_in_batch, mark_answered
from socialdesk.store.identities import IdentityRow, by_native_id, parent_customer, resolve_customers
from socialdesk.store.known_authors import KnownAuthors
from socialdesk.store.migrate import migrate

if TYPE_CHECKING:  # sqlite-utils takes ~90 ms to import: only the table helpers need it, never start-up
    import sqlite_utils

    from socialdesk.store.upsert_result import UpsertResult

POST_COLUMNS = (
    "network, native_id, account, author_native_id, author_handle, author_name, customer_id, text, "
    "created_at, url, in_reply_to, conversation_id, kind, lang, is_ours, content_warning, raw, fetched_at, "
    "edited_at"
)
# Re-syncing refreshes what the network may have changed; triage state is ours and stays.
_UPSERT_POST = f"""
INSERT INTO posts ({POST_COLUMNS}, status, priority, sentiment, sentiment_label, intent, actionable, due_at,
    assigned_to, first_response_at)
VALUES ({", ".join("?" * 28)})
ON CONFLICT (network, native_id) DO UPDATE SET
    text = excluded.text, author_handle = excluded.author_handle, author_name = excluded.author_name,
    url = excluded.url, raw = excluded.raw, content_warning = excluded.content_warning,
    fetched_at = excluded.fetched_at,
    edited_at = NULLIF(MAX(IFNULL(excluded.edited_at, 0), IFNULL(posts.edited_at, 0)), 0)
"""


class Triage(msgspec.Struct):
    """Classification computed before a post is stored (by the triage service's rules)."""

    status: str = "new"
    priority: int = 1
    sentiment: float | None = None
    sentiment_label: str = ""
    intent: str = ""
    actionable: bool = True
    due_at: float | None = None
    tags: tuple[str, ...] = ()
    assigned_to: str = ""  # auto-assigned by a rule
    # Notices a new post raises: (audience "desk" or an agent's name, what raised it).
    notify: tuple[tuple[str, str], ...] = ()
    # The rules it fired, counted in the live rule hits when the post is stored as new (empty: not counted).
    hits: tuple[str, ...] = ()


def _earliest(a: float | None, b: float | None) -> float | None:
    """The earlier of two times, either of which may be missing."""
    return b if a is None else a if b is None else min(a, b)


def _raw_json(raw: dict[str, Any]) -> str:
    """A source's payload as stored: JSON, lone surrogates replaced (SQLite stores UTF-8 only)."""
    return "{}" if raw == {} else scrub(json.dumps(raw, ensure_ascii=False, default=str))


PAGE_CACHE_KIB = 2000  # each connection's page cache (see `Store.conn`)
# A transaction of bounded writes keeps the pages it changes until COMMIT (`Store._bounded_writes`): its
# cache grows to hold them and the pages it reads, then shrinks back.
BOUNDED_WRITES_CACHE_KIB = 8192
# The most authors a thread keeps between two syncs (`Store.remembering_authors`); beyond, it forgets them.
KEEP_AUTHORS = 10_000


class Store:
    """The local cache. Safe to share between threads: each thread gets its own connection.

    Args:
        path: the database file (created with the schema if missing), or ":memory:" for tests.
    """

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = str(path)
        self.clock = clock  # when a batch is stored, and so which posts are recent enough to index
        self._local = threading.local()
        self._memory_conn: sqlite3.Connection | None = None
        if self.path == ":memory:":
            # One shared connection: separate in-memory connections would be separate databases.
            self._memory_conn = sqlite3.connect(":memory:", check_same_thread=False)
            self._memory_lock = threading.RLock()
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        migrate(self.conn)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        if self._memory_conn is not None:
            return self._memory_conn
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            # 2 MB per connection. Every thread has its own connection and Textual's thread workers
            # run on a pool of up to cpu_count + 4 threads, so the page caches add up: keyset pages
            # touch a few dozen pages, and a full count scan streams through any cache size (the OS
            # page cache keeps the file warm). 8 MB each cost ~12 MiB of peak RSS scrolling a
            # 1M-post cache. No mmap either (some builds default to it): mapped pages touched while
            # scrolling would count in our RSS, and reads of a few pages gain nothing from it.
            conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            conn.execute("PRAGMA mmap_size = 0")
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """A sqlite-utils view of this thread's connection (for table helpers)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @contextmanager
    def transaction(self, *, bounded_writes: bool = False) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on this thread's connection.

        Args:
            bounded_writes: the transaction stores a bounded batch (a group of posts, a page of rows),
                each statement changing a bounded number of rows, such as one row per `executemany`
                step. Its statement journals stay in memory, and the pages it changes stay in the page
                cache until COMMIT (see `_bounded_writes`).
        """
        conn = self.conn
        if conn.in_transaction:  # nested: join the outer transaction
            yield conn
            return
        with self._bounded_writes(conn) if bounded_writes else nullcontext():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                self._local.authors = None
                self.forget_authors()
                conn.execute("ROLLBACK")
                raise
            self._local.authors = None
            conn.execute("COMMIT")

    @contextmanager
    def _bounded_writes(self, conn: sqlite3.Connection) -> Iterator[None]:
        """For the transaction begun inside: statement journals in memory, changed pages kept until COMMIT.

        - SQLite writes a statement's journal to a temporary file once it passes 64 KiB, and then keeps
          using the file until the transaction ends: one step of the sync's posts INSERT (its triggers,
          FTS5) passes it, and every later step then writes its pages through the file. SQLite decides
          where at BEGIN, so `temp_store` is set before it.
        - Under the desk's soft heap limit (`memory.limit_sqlite_page_caches`), once other threads'
          page caches are full, a transaction's cache cannot grow: it wrote changed pages to the WAL
          before the commit, and some of them again. So the cache does not spill (`cache_spill`).
        - A cache that may not spill, once its changed pages fill it, drops every page it reads as
          soon as it is read: the indexes' upper pages were read again for each post. So it may grow
          to `BOUNDED_WRITES_CACHE_KIB` meanwhile (a group of 2,000 posts changes about 6 MB).
        The settings are put back after, so no other statement of this thread's connection, such as a
        migration rewriting every post, keeps its journal or every page it changes in memory (README,
        "Performance").
        """
        if self._memory_conn is not None:  # an in-memory database has no file to journal or spill to
            yield
            return
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_spill = OFF")
        conn.execute(f"PRAGMA cache_size = -{BOUNDED_WRITES_CACHE_KIB}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
            conn.execute("PRAGMA cache_spill = ON")
            conn.execute("PRAGMA temp_store = DEFAULT")

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        self._local.authors_left = None
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing posts -------------------------------------------------------------------------

    def remember_authors(
        self, keys: Iterable[tuple[str, str]], identities: dict[tuple[str, str], IdentityRow]
    ) -> None:
        """Keep the identities just read for a batch's authors (triage's author facts read them with
        the same statement), so that storing the batch next resolves its authors without reading
        them again. Kept only inside a write transaction, for this thread's next `upsert_posts`, and
        used only if nothing was written on the connection in between (a write could change them).
        """
        conn = self.conn
        self._local.authors = (conn.total_changes, set(keys), identities) if conn.in_transaction else None

    def _authors_read(
        self, conn: sqlite3.Connection
    ) -> tuple[set[tuple[str, str]], dict[tuple[str, str], IdentityRow]] | None:
        """What `remember_authors` kept, if still exact; it is given out once."""
        kept = getattr(self._local, "authors", None)
        self._local.authors = None
        if kept is None or not conn.in_transaction or kept[0] != conn.total_changes:
            return None
        return kept[1], kept[2]

    @contextmanager
    def remembering_authors(self) -> Iterator[None]:
        """Within: this thread's transactions remember the authors they read and write (`KnownAuthors`),
        for triage's author facts and for resolving customers. For the pages of one sync, whose own
        writes are the only ones on this connection meanwhile.

        What it holds at the end is left for the next sync on this thread (a backfill is many syncs,
        whose authors the syncs before have mostly met), which takes it only if this connection has
        written nothing since; another connection's commits empty it at its first use (`still_valid`).
        """
        # Nested, the outer memory serves. An in-memory database's one connection is shared by every
        # thread, so another thread's writes would not show in its data_version: no memory there.
        if self._memory_conn is not None or getattr(self._local, "known_authors", None) is not None:
            yield
            return
        conn = self.conn
        known = self._authors_left(conn)
        self._local.known_authors = known
        try:
            yield
        finally:
            self._local.known_authors = None
            if len(known.identities) > KEEP_AUTHORS:  # a bound on what a thread keeps between syncs
                known.forget()
            self._local.authors_left = (conn.total_changes, known)

    def _authors_left(self, conn: sqlite3.Connection) -> KnownAuthors:
        """What the last sync on this connection remembered (`close` drops it), if it wrote nothing since."""
        left: tuple[int, KnownAuthors] | None = getattr(self._local, "authors_left", None)
        self._local.authors_left = None
        if left is not None and left[0] == conn.total_changes:
            return left[1]
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        return KnownAuthors(version)

    def known_authors(self) -> KnownAuthors | None:
        """What `remembering_authors` holds, still exact (emptied if another connection committed)."""
        known: KnownAuthors | None = getattr(self._local, "known_authors", None)
        return known.still_valid(self.conn) if known is not None else None

    def forget_authors(self) -> None:
        """Drop what `remembering_authors` holds: this connection wrote what it does not follow (a
        rollback, identities changed other than by storing posts)."""
        known: KnownAuthors | None = getattr(self._local, "known_authors", None)
        if known is not None:
            known.forget()

    def upsert_posts(
        self, posts: Iterable[Post], triage: Iterable[Triage] | None = None, group: GroupAnswers | None = None
    ) -> UpsertResult:
        """Store a batch of posts in one transaction; re-delivered posts update in place.

        Args:
            posts: posts from a connector.
            triage: classification for each post (same order); applies only to new posts.
            group: the first responses of the group of batches this one belongs to, stored one after
                another in the caller's transaction (see `GroupAnswers`).

        Returns:
            The ids of newly inserted posts and how many existing ones were refreshed.
        """
        # What a write adds beside the posts (rule hits, similarity bands): a desk that only reads never
        # imports it, and one that syncs does so after its first frame.
        from socialdesk.store.playbook_queries import add_rule_hits
        from socialdesk.store.similar_index import index_new_posts
        from socialdesk.store.upsert_result import UpsertResult

        posts = list(posts)
        triages = list(triage) if triage is not None else [Triage()] * len(posts)
        result = UpsertResult()
        if not posts:
            return result
        now = self.clock()
        with self.transaction() as conn:
            keys = [(p.network, p.native_id) for p in posts]
            known = self.known_authors()
            written: dict[tuple[str, str], IdentityRow | None] | None = {} if known is not None else None
            created: list[int] = []
            customers = resolve_customers(conn, posts, self._authors_read(conn), written, created)
            rows = []
            in_batch = {
                (p.network, p.native_id): customers[(p.network, p.author.native_id)]
                for p in posts
                if not p.is_ours
            }
            answered = answered_in_batch(posts)
            in_group = group.found if group is not None else None
            firsts: list[tuple[tuple[str, str], float]] = []
            for post, tri in zip(posts, triages, strict=True):
                first_response = None
                if post.is_ours:
                    parent = (post.network, post.in_reply_to or "")
                    customer_id = in_batch.get(parent) or parent_customer(conn, post)
                else:
                    customer_id = customers[(post.network, post.author.native_id)]
                    if answered or in_group:
                        key = (post.network, post.native_id, post.created_at)
                        first_response = _earliest(answered.get(key), in_group.get(key) if in_group else None)
                        if first_response is not None:
                            firsts.append(((post.network, post.native_id), first_response))
                rows.append(
                    (
                        post.network,
                        post.native_id,
                        post.account,
                        post.author.native_id,
                        post.author.handle,
                        post.author.display_name,
                        customer_id,
                        post.text,
                        post.created_at,
                        post.url,
                        post.in_reply_to,
                        post.conversation_id or post.native_id,
                        post.kind,
                        post.lang,
                        int(post.is_ours),
                        post.content_warning,
                        _raw_json(post.raw),
                        now,
                        post.edited_at,
                        "resolved" if post.is_ours else tri.status,
                        tri.priority,
                        tri.sentiment,
                        tri.sentiment_label,
                        tri.intent,
                        int(tri.actionable and not post.is_ours),
                        tri.due_at,
                        tri.assigned_to,
                        first_response,  # a new post only: a stored one keeps its own
                    )
                )
            # Rows inserted now take ids above every stored one, each the next, in the statement's order
            # (posts.id is no AUTOINCREMENT); re-delivered posts keep theirs. So when the largest id
            # grew by one per row, every row is new and its id is known; else the rows above the
            # largest id before the statement are the new posts: read by rowid from the pages just
            # written, not by a probe of the (network, native_id) index per post.
            largest = "SELECT IFNULL(MAX(id), 0) FROM posts"
            (stored_max,) = conn.execute(largest).fetchone()
            conn.executemany(_UPSERT_POST, rows)
            (new_max,) = conn.execute(largest).fetchone()
            if new_max - stored_max == len(rows):
                ids = dict(zip(keys, range(stored_max + 1, new_max + 1), strict=True))
            else:
                ids = {
                    (network, native_id): post_id
                    for network, native_id, post_id in conn.execute(
                        "SELECT network, native_id, id FROM posts WHERE id > ?", (stored_max,)
                    )
                }
            new_keys = [k for k in dict.fromkeys(keys) if k in ids]
            result.inserted = [ids[k] for k in new_keys]
            result.updated = len(set(keys)) - len(new_keys)
            tags = [
                (ids[k], t)
                for k, tri in zip(keys, triages, strict=True)
                if tri.tags and k in ids
                for t in tri.tags
            ]
            if tags:
                tags.sort()  # in key order, the tags' B-tree is written page after page
                conn.executemany("INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?, ?)", tags)
            raised = {k: tri.notify for k, p, tri in zip(keys, posts, triages, strict=True) if not p.is_ours}
            notices = [(now, ids[k], a, origin) for k, ns in raised.items() if k in ids for a, origin in ns]
            if notices:
                conn.executemany(
                    "INSERT INTO notifications (at, post_id, audience, origin) VALUES (?, ?, ?, ?)", notices
                )
            hits: dict[str, int] = {}
            for k, tri in zip(keys, triages, strict=True):
                if tri.hits and k in ids:
                    for name in tri.hits:
                        hits[name] = hits.get(name, 0) + 1
            if hits:
                add_rule_hits(conn, int(time.time() // 60), hits)
            new_posts = {k: p for k, p in zip(keys, posts, strict=True) if k in ids}
            index_new_posts(conn, [(ids[k], p) for k, p in new_posts.items()], now)
            answered_before = None
            if group is not None:
                group.inserted.update((k, at) for k, at in firsts if k in ids)
                answered_before = group.inserted
            mark_answered(conn, posts, result.inserted, ids.keys(), answered_before)
            if known is not None and written is not None:
                new_by = [
                    customers[(p.network, p.author.native_id)] for p in new_posts.values() if not p.is_ours
                ]
                known.stored(written, created, new_by)
        return result

    def mark_deleted(self, network: str, native_ids: Iterable[str], at: float | None = None) -> list[int]:
        """Mark stored posts as deleted on their network; they leave the reply queues (not actionable).

        Returns:
            The ids of the posts newly marked (unknown or already deleted ones are skipped).
        """
        keys = [(network, native_id) for native_id in dict.fromkeys(native_ids)]
        marked: list[int] = []
        with self.transaction() as conn:
            for _network, row in by_native_id(conn, "posts", "id, deleted_at", keys):
                if row[2] is None:
                    marked.append(int(row[1]))
            conn.executemany(
                "UPDATE posts SET deleted_at = ?, actionable = 0 WHERE id = ?",
                [(time.time() if at is None else at, post_id) for post_id in marked],
            )
        return marked

    # -- cursors and quarantine ---------------------------------------------------------------

    def set_reached(self, source: str, reached: float) -> None:
        """Record how far back a source's sync reached (the oldest value is kept; see FetchResult)."""
        self.conn.execute(
            "INSERT INTO source_reach (source, reached, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (source) DO UPDATE SET reached = MIN(reached, excluded.reached), "
            "updated_at = excluded.updated_at",
            (source, reached, time.time()),
        )

    def set_limits(self, account: str, max_length: int, url_weight: int = 0) -> None:
        """Remember an account's server limits (see `Connector.server_limits`)."""
        self.conn.execute(
            "INSERT INTO account_limits (account, max_length, url_weight, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET max_length = excluded.max_length, "
            "url_weight = excluded.url_weight, updated_at = excluded.updated_at",
            (account, max_length, url_weight, time.time()),
        )

    def limits(self, account: str) -> tuple[int, int] | None:
        """An account's server limits (max length, characters a URL counts), None when never read."""
        row = self.conn.execute(
            "SELECT max_length, url_weight FROM account_limits WHERE account = ?", (account,)
        ).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def reached(self, source: str) -> float | None:
        """How far back a source's syncs have read (unix seconds), None when not recorded."""
        row = self.conn.execute("SELECT reached FROM source_reach WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def get_cursor(self, source: str, stream: str = "") -> str | None:
        """The persisted sync cursor of one source (connector account) and stream."""
        row = self.conn.execute(
            "SELECT cursor FROM cursors WHERE source = ? AND stream = ?", (source, stream)
        ).fetchone()
        return row[0] if row else None

    def set_cursor(self, source: str, cursor: str | None, stream: str = "") -> None:
        """Persist a sync cursor (call in the same transaction as the posts it covers)."""
        self.conn.execute(
            "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source, stream) DO UPDATE SET cursor = excluded.cursor, "
            "updated_at = excluded.updated_at",
            (source, stream, cursor, time.time()),
        )

    def quarantine(self, source: str, error: str, raw: str) -> None:
        """Keep an item we could not understand, raw, for `socialdesk doctor` (once, however often it
        comes back); known secrets are masked and lone surrogates replaced so it can be stored."""
        import hashlib

        from socialdesk.secrets import redact

        source, error, raw = (redact(scrub(value)) for value in (source, error, raw))
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        self.conn.execute(
            "INSERT OR IGNORE INTO quarantine (source, error, raw, at, digest) VALUES (?, ?, ?, ?, ?)",
            (source, error, raw, time.time(), digest),
        )

    def quarantined(
        self, before_id: int | None = None, limit: int = 500
    ) -> list[tuple[int, float, str, str, str]]:
        """A page of quarantined items, newest first: (id, at, source, error, raw), keyset by id."""
        return self.conn.execute(
            "SELECT id, at, source, error, raw FROM quarantine WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**63 - 1, limit),
        ).fetchall()

    def quarantine_counts(self) -> dict[str, int]:
        """Quarantined items per source."""
        return dict(self.conn.execute("SELECT source, COUNT(*) FROM quarantine GROUP BY source"))

    # -- drafts ---------------------------------------------------------------------------------

    def save_draft(self, post_id: int, text: str) -> None:
        """Save (or clear, when empty) the draft reply to a post."""
        if text.strip():
            self.conn.execute(
                "INSERT INTO drafts (post_id, text, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (post_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                (post_id, text, time.time()),
            )
        else:
            self.conn.execute("DELETE FROM drafts WHERE post_id = ?", (post_id,))

    def draft(self, post_id: int) -> str:
        """The saved draft reply to a post ("" when none)."""
        row = self.conn.execute("SELECT text FROM drafts WHERE post_id = ?", (post_id,)).fetchone()
        return row[0] if row else ""

    # -- audit ----------------------------------------------------------------------------------

    def audit(self, agent: str, action: str, post_id: int | None = None, **detail: object) -> None:
        """Append one agent action to the audit log (known secrets masked, lone surrogates replaced)."""
        from socialdesk.secrets import redact

        text = redact(scrub(json.dumps(detail, ensure_ascii=False, default=str)))
        self.conn.execute(
            "INSERT INTO audit (at, agent, action, post_id, detail) VALUES (?, ?, ?, ?, ?)",
            (time.time(), scrub(agent), action, post_id, text),
        )
