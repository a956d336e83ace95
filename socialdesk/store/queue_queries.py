"""Triage queue SQL: keyset queue pages, conversation-wide status/assignment writes, notes, approvals, audit.

The queue order is priority (high first), then SLA due time (soonest first, none last), then age
(oldest first), then id. Its keyset is the ascending tuple (queue_rank, queue_due, created_at, id):
virtual columns (-priority, IFNULL(due_at, 1e18)) indexed by `posts_queue_order`, so a page is an
index range search however deep it starts.
"""

from __future__ import annotations

import json
import sqlite3

import msgspec

from socialdesk.models import PostRow
from socialdesk.store import tickets
from socialdesk.store.queries import ROW_COLUMNS, Page, PostFilter, _with_tags, filter_sql
from socialdesk.store.rows import json_array, keyset_page, read

NO_DUE = 1e18  # sorts posts without an SLA clock after every real due time
_ORDER_KEY = ("p.queue_rank", "p.queue_due", "p.created_at", "p.id")
# What the queue works: inbound, actionable posts still waiting on us.
OPEN_STATUSES = ("new", "open")
WORKING_STATUSES = ("new", "open", "pending", "escalated")


class QueueKey(msgspec.Struct, frozen=True):
    """A row's position in queue order (all ascending)."""

    neg_priority: int
    due: float
    created_at: float
    id: int

    @classmethod
    def of(cls, row: PostRow) -> QueueKey:
        """The key of a row."""
        return cls(-row.priority, NO_DUE if row.due_at is None else row.due_at, row.created_at, row.id)


class QueuePage(Page):
    """Rows in queue order, whether more follow (in the walk's direction), and the key to continue from."""

    key: QueueKey | None = None


def queue_order_before(key: QueueKey) -> PostFilter:
    """The posts ahead of `key` in queue order (to count where a post stands in a queue)."""
    return PostFilter(
        (f"({', '.join(_ORDER_KEY)}) < (?, ?, ?, ?)",), (key.neg_priority, key.due, key.created_at, key.id)
    )


def queue_page(
    conn: sqlite3.Connection,
    flt: PostFilter,
    after: QueueKey | PostRow | None = None,
    limit: int = 100,
    oldest_first: bool = False,
) -> QueuePage:
    """One page of posts in queue order, strictly after `after` (keyset, never OFFSET).

    Args:
        flt: which posts (a saved queue's or a search's filter).
        after: the key returned with the previous page, or the last row shown (None: the top).
        limit: rows to return.
        oldest_first: walk up from the bottom of the queue (`after` is then the first row shown);
            rows still come back in queue order, and `key` is the topmost row's, to continue upward.
    """
    key = QueueKey.of(after) if isinstance(after, PostRow) else after
    where, params = filter_sql(flt)
    rows, more = keyset_page(
        conn,
        PostRow,
        f"SELECT {ROW_COLUMNS} FROM posts p INDEXED BY posts_queue_order",
        where,
        params,
        _ORDER_KEY,
        None if key is None else (key.neg_priority, key.due, key.created_at, key.id),
        limit,
        descending=oldest_first,
    )
    next_key = QueueKey.of(rows[-1]) if rows else key
    if oldest_first:
        rows.reverse()
    return QueuePage(_with_tags(conn, rows), more, next_key)


def conversation_post_ids(conn: sqlite3.Connection, post_ids: list[int]) -> list[int]:
    """The inbound posts (is_ours = 0) of the conversations the given posts belong to.

    A conversation with a ticket counts as its ticket: merged conversations go together, and posts
    split off into another ticket go their own way.
    """
    found: dict[int, None] = {}
    by_conversation: list[int] = []
    ticketed: set[int] = set()
    for post_id in post_ids:
        ticket = tickets.counted_in(conn, post_id)
        if ticket is None:
            by_conversation.append(post_id)
        elif ticket not in ticketed:
            ticketed.add(ticket)
            found.update(dict.fromkeys(_inbound(conn, tickets.post_ids(conn, ticket))))
    if by_conversation:
        for (post_id,) in conn.execute(
            "SELECT c.id FROM posts p JOIN posts c INDEXED BY posts_conversation "
            "ON c.network = p.network AND c.conversation_id = p.conversation_id "
            "WHERE p.id IN (SELECT value FROM json_each(?)) AND c.is_ours = 0 ORDER BY c.id",
            (json_array(by_conversation),),
        ):
            found[post_id] = None
    return sorted(found)


def _inbound(conn: sqlite3.Connection, post_ids: list[int]) -> list[int]:
    """The customers' posts among `post_ids` (our own replies keep no status)."""
    if not post_ids:
        return []
    rows = conn.execute(
        "SELECT id FROM posts WHERE id IN (SELECT value FROM json_each(?)) AND is_ours = 0",
        (json_array(post_ids),),
    )
    return [int(r[0]) for r in rows]


def _update(conn: sqlite3.Connection, ids: list[int], assignments: str, params: list[object]) -> None:
    # One statement for every number of posts (`rows.json_array`): with the metrics triggers it
    # compiles, each is among the largest a connection keeps.
    if ids:
        conn.execute(
            f"UPDATE posts SET {assignments} WHERE id IN (SELECT value FROM json_each(?))",
            [*params, json_array(ids)],
        )


def set_status(
    conn: sqlite3.Connection,
    ids: list[int],
    status: str,
    snoozed_until: float | None = None,
    at: float | None = None,
) -> None:
    """Set status (and the snooze time, cleared unless snoozing) on the given posts; `at`: when (kept
    in status_at, from which resolved conversations count their quiet days)."""
    _update(
        conn,
        ids,
        "status = ?, snoozed_until = ?, status_at = IFNULL(?, status_at)",
        [status, snoozed_until if status == "snoozed" else None, at],
    )


def set_assignee(conn: sqlite3.Connection, ids: list[int], agent: str) -> None:
    """Assign the given posts to an agent ("" unassigns)."""
    _update(conn, ids, "assigned_to = ?", [agent])


def add_tag(conn: sqlite3.Connection, ids: list[int], tag: str) -> None:
    """Tag the given posts (already tagged ones stay as they are)."""
    conn.executemany("INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?, ?)", [(i, tag) for i in ids])


def remove_tag(conn: sqlite3.Connection, ids: list[int], tag: str) -> None:
    """Remove a tag from the given posts."""
    conn.executemany("DELETE FROM post_tags WHERE post_id = ? AND tag = ?", [(i, tag) for i in ids])


def set_correction(
    conn: sqlite3.Connection, ids: list[int], sentiment_label: str | None = None, intent: str | None = None
) -> None:
    """Record an agent's correction and mark it (bit 1 sentiment, bit 2 intent) so it is never recomputed."""
    if sentiment_label is not None:
        _update(conn, ids, "sentiment_label = ?, corrected = corrected | 1", [sentiment_label])
    if intent is not None:
        _update(conn, ids, "intent = ?, corrected = corrected | 2", [intent])


def first_claimable(conn: sqlite3.Connection, flt: PostFilter) -> int | None:
    """The id of the first unassigned, actionable, open inbound post of a filter, in queue order."""
    where, params = filter_sql(flt)
    row = conn.execute(
        f"SELECT p.id FROM posts p INDEXED BY posts_queue_order WHERE {where} AND p.assigned_to = '' "
        "AND p.actionable = 1 AND p.is_ours = 0 AND p.status IN ('new', 'open') "
        f"ORDER BY {', '.join(_ORDER_KEY)} LIMIT 1",
        params,
    ).fetchone()
    return int(row[0]) if row else None


def wake_snoozed(conn: sqlite3.Connection, now: float) -> list[int]:
    """Reopen posts whose snooze has ended; returns their ids."""
    ids = [
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM posts WHERE status = 'snoozed' AND IFNULL(snoozed_until, 0) <= ?", (now,)
        )
    ]
    set_status(conn, ids, "open", at=now)
    return ids


def without_closed(conn: sqlite3.Connection, ids: list[int]) -> list[int]:
    """The posts among `ids` that are not closed (a closed post's status is final)."""
    if not ids:
        return []
    closed = {
        int(r[0])
        for r in conn.execute(
            "SELECT id FROM posts WHERE id IN (SELECT value FROM json_each(?)) AND status = 'closed'",
            (json_array(ids),),
        )
    }
    return [i for i in ids if i not in closed]


def breaches_page(
    conn: sqlite3.Connection, now: float, after: tuple[float, int] | None = None, limit: int = 50
) -> tuple[list[PostRow], bool]:
    """Posts past their first-response target with no response yet, most overdue first (keyset)."""
    statuses = ",".join(f"'{s}'" for s in WORKING_STATUSES)
    rows, more = keyset_page(
        conn,
        PostRow,
        f"SELECT {ROW_COLUMNS} FROM posts p INDEXED BY posts_due",
        f"p.status IN ({statuses}) AND p.due_at < ? AND p.first_response_at IS NULL AND p.is_ours = 0 "
        "AND p.actionable = 1",
        [now],
        ("p.due_at", "p.id"),
        after,
        limit,
        descending=False,
    )
    return _with_tags(conn, rows), more


def insert_note(conn: sqlite3.Connection, post_id: int, agent: str, text: str, at: float) -> int:
    """Store an internal note on a post; returns its id."""
    cur = conn.execute(
        "INSERT INTO notes (post_id, agent, text, created_at) VALUES (?, ?, ?, ?)", (post_id, agent, text, at)
    )
    return int(cur.lastrowid or 0)


class Note(msgspec.Struct, frozen=True):
    """An internal note on a conversation (never sent to the network)."""

    id: int
    post_id: int
    agent: str
    text: str
    created_at: float


def notes_for(conn: sqlite3.Connection, post_id: int, limit: int = 200) -> list[Note]:
    """Notes on every post of a post's conversation, oldest first."""
    ids = conversation_post_ids(conn, [post_id]) or [post_id]
    marks = ",".join("?" * len(ids))
    return list(
        read(
            Note,
            conn.execute(
                f"SELECT id, post_id, agent, text, created_at FROM notes WHERE post_id IN ({marks}) "
                "ORDER BY created_at, id LIMIT ?",
                [*ids, limit],
            ),
        )
    )


def conversation_status(conn: sqlite3.Connection, post_id: int) -> str:
    """The most pressing status among the conversation's inbound posts ("" for an unknown post)."""
    ids = conversation_post_ids(conn, [post_id])
    if not ids:
        row = conn.execute("SELECT status FROM posts WHERE id = ?", (post_id,)).fetchone()
        return str(row[0]) if row else ""
    marks = ",".join("?" * len(ids))
    statuses = {r[0] for r in conn.execute(f"SELECT DISTINCT status FROM posts WHERE id IN ({marks})", ids)}
    for status in ("escalated", "open", "new", "pending", "snoozed", "resolved", "closed"):
        if status in statuses:
            return status
    return next(iter(statuses), "")


class AuditEntry(msgspec.Struct, frozen=True):
    """One line of the audit log."""

    id: int
    at: float
    agent: str
    action: str
    post_id: int | None
    detail: dict[str, object]  # the action's details as stored (JSON)


def audit_page(
    conn: sqlite3.Connection, before_id: int | None = None, limit: int = 100
) -> tuple[list[AuditEntry], bool]:
    """The audit log, newest first (keyset on id)."""
    return keyset_page(
        conn,
        _audit_entry,
        "SELECT id, at, agent, action, post_id, detail FROM audit",
        "1",
        [],
        ("id",),
        None if before_id is None else (before_id,),
        limit,
        descending=True,
    )


def _audit_entry(id: int, at: float, agent: str, action: str, post_id: int | None, detail: str) -> AuditEntry:
    return AuditEntry(id, at, agent, action, post_id, json.loads(detail or "{}"))
