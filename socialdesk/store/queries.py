"""Read queries over the cache: keyset pages of the feed, threads, customers and FTS search.

Every list is read a page at a time with keyset conditions (`(created_at, id) < (?, ?)`, see
`rows.keyset_page`), never OFFSET, so the cost of a page does not grow with how far the agent has
scrolled. Rows become `PostRow`s by column name (`ROW_COLUMNS` names each column after its field).
"""

from __future__ import annotations

import sqlite3

import msgspec

from socialdesk.models import Customer, Identity, PostRow, Thread
from socialdesk.store import tag_tally
from socialdesk.store.rows import json_array, keyset_page, read, read_one, where_sql

ROW_COLUMNS = (
    "p.id, p.network, p.native_id, p.account, p.author_native_id, p.author_handle, p.author_name, "
    "p.customer_id, p.text, p.created_at, p.url, p.in_reply_to, p.conversation_id, p.kind, p.lang, "
    "p.is_ours, p.content_warning, p.status, p.priority, p.sentiment, p.sentiment_label, p.intent, "
    "p.actionable, p.assigned_to, p.due_at, p.snoozed_until, p.edited_at, p.deleted_at, "
    "IFNULL(json_extract(p.raw, '$.reply_limited'), 0) AS reply_limited, "
    "EXISTS (SELECT 1 FROM drafts d WHERE d.post_id = p.id) AS has_draft"
)
_FEED_KEY = ("p.created_at", "p.id")


class PostFilter(msgspec.Struct, frozen=True):
    """A set of conditions on posts (aliased `p`), plus an optional FTS5 match expression.

    The search and saved-queue services compile agents' queries into this; the store only runs it.
    """

    where: tuple[str, ...] = ()
    params: tuple[object, ...] = ()
    fts: str | None = None

    def and_(self, other: PostFilter) -> PostFilter:
        """Both filters at once."""
        fts = " AND ".join(f"({q})" for q in (self.fts, other.fts) if q) or None
        return PostFilter(self.where + other.where, self.params + other.params, fts)


ALL = PostFilter()
INBOUND = PostFilter(where=("p.is_ours = 0",))  # the queue: what customers wrote, not our replies


class PageKey(msgspec.Struct, frozen=True):
    """The keyset position of a row: feeds sort by (created_at, id), searches by id alone."""

    created_at: float
    id: int


class Page(msgspec.Struct):
    """Rows in display order (newest first) and whether more exist beyond the last one."""

    rows: list[PostRow] = msgspec.field(default_factory=list)
    more: bool = False


def _with_tags(conn: sqlite3.Connection, rows: list[PostRow]) -> list[PostRow]:
    if not rows:
        return rows
    by_id = {r.id: r for r in rows}
    tags: dict[int, list[str]] = {}
    for post_id, tag in conn.execute(
        "SELECT post_id, tag FROM post_tags WHERE post_id IN (SELECT value FROM json_each(?)) ORDER BY tag",
        (json_array(by_id),),
    ):
        tags.setdefault(post_id, []).append(tag)
    for post_id, names in tags.items():
        by_id[post_id].tags = tuple(names)
    return rows


def filter_sql(flt: PostFilter) -> tuple[str, list[object]]:
    """A filter's WHERE clause (alias `p`) and parameters, the FTS match folded in as a subquery."""
    clauses = list(flt.where)
    params = list(flt.params)
    if flt.fts:
        clauses.append("p.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)")
        params.append(flt.fts)
    return where_sql(clauses), params


def feed_page(
    conn: sqlite3.Connection,
    flt: PostFilter = ALL,
    after: PageKey | None = None,
    limit: int = 100,
    oldest_first: bool = False,
) -> Page:
    """One page of the feed, newest first, strictly after `after` in that order.

    Args:
        flt: which posts.
        after: the last row already shown (None: start at the newest, or the oldest if `oldest_first`).
        limit: rows to return.
        oldest_first: walk from the bottom of the feed (for `G` and scrolling up from it); rows still
            come back newest first.
    """
    if flt.fts:
        return search_page(conn, flt, after, limit, oldest_first)
    where, params = filter_sql(flt)
    # Dense filters (the whole feed, inbound only) walk the time index; for selective ones the planner
    # knows better (it may pick a status or tag index and sort the few matches).
    hint = "INDEXED BY posts_feed" if len(flt.where) <= 1 else ""
    key = None if after is None else (after.created_at, after.id)
    select = f"SELECT {ROW_COLUMNS} FROM posts p {hint}"
    rows, more = keyset_page(
        conn, PostRow, select, where, params, _FEED_KEY, key, limit, descending=not oldest_first
    )
    if oldest_first:
        rows.reverse()
    return Page(_with_tags(conn, rows), more)


def search_page(
    conn: sqlite3.Connection,
    flt: PostFilter,
    after: PageKey | None = None,
    limit: int = 50,
    oldest_first: bool = False,
) -> Page:
    """One page of FTS matches, newest stored first, keyset on the row id.

    FTS5 walks its own rowid order cheaply, so matches are read from the index in id order and the
    other conditions are checked on that small set, instead of sorting every match by date.
    """
    assert flt.fts
    where, params = filter_sql(PostFilter(flt.where, flt.params))
    rows, more = keyset_page(
        conn,
        PostRow,
        f"SELECT {ROW_COLUMNS} FROM posts_fts f JOIN posts p ON p.id = f.rowid",
        f"posts_fts MATCH ? AND {where}",
        [flt.fts, *params],
        ("f.rowid",),
        None if after is None else (after.id,),
        limit,
        descending=not oldest_first,
    )
    if oldest_first:
        rows.reverse()
    return Page(_with_tags(conn, rows), more)


def key_of(row: PostRow) -> PageKey:
    """The keyset position of a row."""
    return PageKey(row.created_at, row.id)


def count(conn: sqlite3.Connection, flt: PostFilter = ALL) -> int:
    """How many posts match: from the tallies when the filter reads only their columns (the saved queues,
    those on one or two tags, and the whole feed, at any size in the same time), else a COUNT over the
    posts."""
    tally = None if flt.fts else tag_tally.tally_count(flt.where, flt.params)
    if tally is not None:
        sql, params = tally
    else:
        where, params = filter_sql(PostFilter(tag_tally.from_tags(flt.where), flt.params, flt.fts))
        sql = f"SELECT COUNT(*) FROM posts p WHERE {where}"
    return int(conn.execute(sql, params).fetchone()[0])


def count_newer(conn: sqlite3.Connection, flt: PostFilter, than: PageKey) -> int:
    """How many matching posts sort above `than` (the feed's new-post indicator)."""
    where, params = filter_sql(flt)
    if flt.fts:
        return int(
            conn.execute(
                f"SELECT COUNT(*) FROM posts p WHERE {where} AND p.id > ?", [*params, than.id]
            ).fetchone()[0]
        )
    return int(
        conn.execute(
            f"SELECT COUNT(*) FROM posts p WHERE {where} AND (p.created_at, p.id) > (?, ?)",
            [*params, than.created_at, than.id],
        ).fetchone()[0]
    )


def get_post(conn: sqlite3.Connection, post_id: int) -> PostRow | None:
    """One post by its cache id."""
    row = read_one(PostRow, conn.execute(f"SELECT {ROW_COLUMNS} FROM posts p WHERE p.id = ?", (post_id,)))
    return _with_tags(conn, [row])[0] if row else None


def get_post_by_native(conn: sqlite3.Connection, network: str, native_id: str) -> PostRow | None:
    """One post by its network identity."""
    return read_one(
        PostRow,
        conn.execute(
            f"SELECT {ROW_COLUMNS} FROM posts p WHERE p.network = ? AND p.native_id = ?", (network, native_id)
        ),
    )


def raw_payload(conn: sqlite3.Connection, post_id: int) -> str:
    """The payload exactly as the network sent it."""
    row = conn.execute("SELECT raw FROM posts WHERE id = ?", (post_id,)).fetchone()
    return row[0] if row else "{}"


def thread(conn: sqlite3.Connection, post_id: int, max_posts: int = 500) -> Thread | None:
    """The conversation around a post: its ancestors, the post, and every reply below it.

    Ancestors are followed by `in_reply_to`; replies are the rest of the conversation (same
    conversation id) newer than the post, which also catches our own replies and side branches.
    """
    focus = get_post(conn, post_id)
    if focus is None:
        return None
    ancestors: list[PostRow] = []
    parent = focus.in_reply_to
    seen = {focus.native_id}
    while parent and parent not in seen and len(ancestors) < max_posts:
        seen.add(parent)
        row = get_post_by_native(conn, focus.network, parent)
        if row is None:
            break
        ancestors.append(row)
        parent = row.in_reply_to
    ancestors.reverse()
    replies: list[PostRow] = []
    if focus.conversation_id:
        known = {r.native_id for r in ancestors} | {focus.native_id}
        for row in read(
            PostRow,
            conn.execute(
                f"SELECT {ROW_COLUMNS} FROM posts p WHERE p.network = ? AND p.conversation_id = ? "
                "ORDER BY p.created_at, p.id LIMIT ?",
                (focus.network, focus.conversation_id, max_posts),
            ),
        ):
            if row.native_id not in known and (row.created_at, row.id) > (focus.created_at, focus.id):
                replies.append(row)
    return Thread(focus=focus, ancestors=ancestors, replies=replies)


def customer(conn: sqlite3.Connection, customer_id: int) -> Customer | None:
    """A customer's card: identities on every network, interaction count, recent sentiment."""
    row = conn.execute(
        "SELECT display_name, first_seen, vip FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    if row is None:
        return None
    display_name, first_seen, vip = row
    identities = [
        Identity(network=n, native_id=i, handle=h, display_name=d, followers=f, first_seen=s, url=u)
        for n, i, h, d, f, s, u in conn.execute(
            "SELECT network, native_id, handle, display_name, followers, first_seen, url FROM identities "
            "WHERE customer_id = ? ORDER BY first_seen",
            (customer_id,),
        )
    ]
    interactions = conn.execute(
        "SELECT COUNT(*) FROM posts INDEXED BY posts_customer WHERE customer_id = ?", (customer_id,)
    ).fetchone()[0]
    recent = conn.execute(
        "SELECT AVG(sentiment) FROM (SELECT sentiment FROM posts INDEXED BY posts_customer "
        "WHERE customer_id = ? AND sentiment IS NOT NULL ORDER BY created_at DESC LIMIT 10)",
        (customer_id,),
    ).fetchone()[0]
    return Customer(
        id=customer_id,
        display_name=display_name,
        first_seen=first_seen,
        vip=bool(vip),
        identities=identities,
        interactions=interactions,
        recent_sentiment=recent,
    )


def customer_history(
    conn: sqlite3.Connection, customer_id: int, after: PageKey | None = None, limit: int = 50
) -> Page:
    """A customer's posts across all networks, and our replies to them, newest first (keyset)."""
    rows, more = keyset_page(
        conn,
        PostRow,
        f"SELECT {ROW_COLUMNS} FROM posts p INDEXED BY posts_customer",
        "p.customer_id = ?",
        [customer_id],
        _FEED_KEY,
        None if after is None else (after.created_at, after.id),
        limit,
        descending=True,
    )
    return Page(rows, more)


def notes_on(conn: sqlite3.Connection, post_ids: list[int]) -> tuple[tuple[str, str, float], ...]:
    """Internal notes (agent, text, time) on any of the given posts, oldest first."""
    if not post_ids:
        return ()
    marks = ",".join("?" * len(post_ids))
    return tuple(
        conn.execute(
            f"SELECT agent, text, created_at FROM notes WHERE post_id IN ({marks}) ORDER BY created_at, id",
            post_ids,
        ).fetchall()
    )
