"""Triage queue SQL: keyset queue pages, conversation-wide status/assignment writes, notes, approvals, audit.

The queue order is priority (high first), then SLA due time (soonest first, none last), then age
(oldest first), then id. Its keyset is the ascending tuple (queue_rank, queue_due, created_at, id):
virtual columns (-priority, IFNULL(due_at, 1e18)) indexed by `posts_queue_order`, so a page is an
index range search however deep it starts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from socialdesk.models import Author, Post, PostRow
from socialdesk.store.queries import ROW_COLUMNS, Page, PostFilter, _with_tags, filter_sql
from socialdesk.store.rows import keyset_page, read

NO_DUE = 1e18  # sorts posts without an SLA clock after every real due time
_ORDER_KEY = ("p.queue_rank", "p.queue_due", "p.created_at", "p.id")
# What the queue works: inbound, actionable posts still waiting on us.
OPEN_STATUSES = ("new", "open")
WORKING_STATUSES = ("new", "open", "pending", "escalated")


@dataclass(frozen=True, slots=True)
class QueueKey:
    """A row's position in queue order (all ascending)."""

    neg_priority: int
    due: float
    created_at: float
    id: int

    @classmethod
    def of(cls, row: PostRow) -> QueueKey:
        """The key of a row."""
        return cls(-row.priority, NO_DUE if row.due_at is None else row.due_at, row.created_at, row.id)


@dataclass(slots=True)
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
    """The inbound posts (is_ours = 0) of the conversations the given posts belong to."""
    found: dict[int, None] = {}
    for start in range(0, len(post_ids), 400):
        chunk = post_ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        for (post_id,) in conn.execute(
            "SELECT c.id FROM posts p JOIN posts c INDEXED BY posts_conversation "
            "ON c.network = p.network AND c.conversation_id = p.conversation_id "
            f"WHERE p.id IN ({marks}) AND c.is_ours = 0 ORDER BY c.id",
            chunk,
        ):
            found[post_id] = None
    return list(found)


def _update(conn: sqlite3.Connection, ids: list[int], assignments: str, params: list[object]) -> None:
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        conn.execute(
            f"UPDATE posts SET {assignments} WHERE id IN ({','.join('?' * len(chunk))})", [*params, *chunk]
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
    closed: set[int] = set()
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        marks = ",".join("?" * len(chunk))
        closed.update(
            int(r[0])
            for r in conn.execute(f"SELECT id FROM posts WHERE id IN ({marks}) AND status = 'closed'", chunk)
        )
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


@dataclass(frozen=True, slots=True)
class Note:
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


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: float
    agent: str
    action: str
    post_id: int | None
    detail: dict[str, Any]


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


def author_facts(
    conn: sqlite3.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, bool]]:
    """For each (network, author native id): the customer's stored posts (every network) and VIP flag."""
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    for start in range(0, len(keys), 300):
        chunk = keys[start : start + 300]
        values = ",".join("(?, ?)" for _ in chunk)
        flat = [v for k in chunk for v in k]
        for network, native_id, posts, vip in conn.execute(
            f"WITH k(network, native_id) AS (VALUES {values}) "
            "SELECT i.network, i.native_id, (SELECT COUNT(*) FROM posts p INDEXED BY posts_customer "
            "WHERE p.customer_id = i.customer_id), c.vip FROM k JOIN identities i "
            "ON i.network = k.network AND i.native_id = k.native_id JOIN customers c ON c.id = i.customer_id",
            flat,
        ):
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


def stored_triage(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the cache holds of each post's triage: priority, actionable, tags, assignee, status."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for post_id, priority, actionable, assigned_to, status in conn.execute(
            f"SELECT id, priority, actionable, assigned_to, status FROM posts WHERE id IN ({marks})", chunk
        ):
            found[int(post_id)] = {
                "priority": int(priority),
                "actionable": bool(actionable),
                "assigned_to": assigned_to,
                "status": status,
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
