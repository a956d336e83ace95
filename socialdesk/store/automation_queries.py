"""What time-based automations read and write: waiting and quiet conversations, runs, and notices."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import msgspec

# Statuses in which a customer is waiting for us (pending waits on the customer, snoozed on a time).
WAITING = ("new", "open", "escalated")


class Notice(msgspec.Struct, frozen=True):
    """One notification: what it is about and who it is for."""

    id: int
    at: float
    post_id: int | None
    audience: str  # "desk": everyone at the desk; else an agent's name
    origin: str  # what raised it: "rule 'legal threat'", "automation 'unanswered 30m'"
    author: str = ""
    text: str = ""


_WAITING_MARKS = ",".join("?" * len(WAITING))


def _waiting(alias: str) -> str:
    """SQL: the post `alias` waits for an answer (a post of ours later in its conversation answers it)."""
    a = alias
    return (
        f"{a}.is_ours = 0 AND {a}.actionable = 1 AND {a}.first_response_at IS NULL "
        f"AND {a}.deleted_at IS NULL AND {a}.status IN ({_WAITING_MARKS}) "
        f"AND NOT EXISTS (SELECT 1 FROM posts o WHERE o.network = {a}.network "
        f"AND o.conversation_id = {a}.conversation_id AND o.is_ours = 1 AND o.created_at >= {a}.created_at)"
    )


def unanswered(
    conn: sqlite3.Connection,
    automation: str,
    waited_since: float,
    horizon: float,
    where: str = "1",
    params: Sequence[object] = (),
    limit: int = 500,
) -> list[tuple[int, str, str]]:
    """The posts that started a wait (the first customer post not answered since our last post in its
    conversation), arrived in [horizon, waited_since] and `automation` has not fired for, oldest first:
    (id, network, conversation id).

    Args:
        automation: whose firings to leave out (so a pass's limit never stalls on them).
        waited_since: the newest arrival time that has waited long enough.
        horizon: the oldest arrival considered (an old backlog never floods the automations).
        where, params: a saved-queue filter (`filter_sql`) the posts must also match.
    """
    rows = conn.execute(
        "SELECT p.id, p.network, p.conversation_id FROM posts p INDEXED BY posts_feed "
        f"WHERE p.created_at BETWEEN ? AND ? AND {_waiting('p')} AND ({where}) "
        "AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.automation = ? AND r.post_id = p.id) "
        f"AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.network = p.network "
        f"AND q.conversation_id = p.conversation_id AND (q.created_at, q.id) < (p.created_at, p.id) "
        f"AND {_waiting('q')}) "
        "ORDER BY p.created_at, p.id LIMIT ?",
        [horizon, waited_since, *WAITING, *params, automation, *WAITING, limit],
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def quiet_resolved(
    conn: sqlite3.Connection,
    automation: str,
    resolved_before: float,
    where: str = "1",
    params: Sequence[object] = (),
    limit: int = 500,
) -> list[tuple[int, str, str, float]]:
    """Customer posts resolved before `resolved_before` whose conversation has nothing from the customer
    left open and which `automation` has not fired for since that resolution: (id, network,
    conversation id, resolved at), oldest resolution first."""
    rows = conn.execute(
        "SELECT p.id, p.network, p.conversation_id, p.status_at FROM posts p INDEXED BY posts_resolved_at "
        "WHERE p.status = 'resolved' AND p.status_at IS NOT NULL AND p.status_at <= ? AND p.is_ours = 0 "
        f"AND ({where}) "
        "AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.network = p.network "
        "AND q.conversation_id = p.conversation_id AND q.is_ours = 0 "
        "AND q.status NOT IN ('resolved', 'closed')) "
        "AND NOT EXISTS (SELECT 1 FROM automation_runs r JOIN posts c ON c.id = r.post_id "
        "WHERE r.automation = ? AND c.network = p.network AND c.conversation_id = p.conversation_id "
        "AND r.at >= p.status_at) "
        "ORDER BY p.status_at, p.id LIMIT ?",
        [resolved_before, *params, automation, limit],
    )
    return [(int(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]


def claim_run(conn: sqlite3.Connection, automation: str, post_id: int, instance: str, at: float) -> bool:
    """Record that an automation fires for a post and condition; False when it already had (once each)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO automation_runs (automation, post_id, instance, at) VALUES (?, ?, ?, ?)",
        (automation, post_id, instance, at),
    )
    return cur.rowcount == 1


def set_run_did(conn: sqlite3.Connection, automation: str, post_id: int, instance: str, did: str) -> None:
    """Say what a firing did (for `rules explain`)."""
    conn.execute(
        "UPDATE automation_runs SET did = ? WHERE automation = ? AND post_id = ? AND instance = ?",
        (did, automation, post_id, instance),
    )


def runs_for(conn: sqlite3.Connection, post_ids: Sequence[int]) -> list[tuple[str, int, float, str]]:
    """The automations that fired for these posts: (automation, post id, when, what it did), by time."""
    if not post_ids:
        return []
    marks = ",".join("?" * len(post_ids))
    rows = conn.execute(
        f"SELECT automation, post_id, at, did FROM automation_runs WHERE post_id IN ({marks}) ORDER BY at",
        list(post_ids),
    )
    return [(str(r[0]), int(r[1]), float(r[2]), str(r[3])) for r in rows]


def raise_priority(conn: sqlite3.Connection, ids: Sequence[int], priority: int) -> int:
    """Raise the posts' priority to at least `priority` (never lowers it); returns how many rose."""
    total = 0
    for start in range(0, len(ids), 400):
        chunk = list(ids[start : start + 400])
        marks = ",".join("?" * len(chunk))
        total += conn.execute(
            f"UPDATE posts SET priority = ? WHERE id IN ({marks}) AND priority < ?",
            [priority, *chunk, priority],
        ).rowcount
    return total


def add_notifications(conn: sqlite3.Connection, rows: Sequence[tuple[float, int | None, str, str]]) -> None:
    """Add notices: (when, post id, audience, origin)."""
    conn.executemany("INSERT INTO notifications (at, post_id, audience, origin) VALUES (?, ?, ?, ?)", rows)


def notices_after(conn: sqlite3.Connection, after_id: int, agent: str, limit: int = 50) -> list[Notice]:
    """Notices for the desk or `agent` after `after_id`, oldest first, with their post's author and text."""
    rows = conn.execute(
        "SELECT n.id, n.at, n.post_id, n.audience, n.origin, IFNULL(p.author_handle, ''), IFNULL(p.text, '') "
        "FROM notifications n LEFT JOIN posts p ON p.id = n.post_id "
        "WHERE n.id > ? AND n.audience IN ('desk', ?) ORDER BY n.id LIMIT ?",
        (after_id, agent, limit),
    )
    return [Notice(*r) for r in rows]


def recent_notices(conn: sqlite3.Connection, agent: str, limit: int = 100) -> list[Notice]:
    """The newest notices for the desk or `agent`, newest first."""
    rows = conn.execute(
        "SELECT n.id, n.at, n.post_id, n.audience, n.origin, IFNULL(p.author_handle, ''), IFNULL(p.text, '') "
        "FROM notifications n LEFT JOIN posts p ON p.id = n.post_id "
        "WHERE n.audience IN ('desk', ?) ORDER BY n.id DESC LIMIT ?",
        (agent, limit),
    )
    return [Notice(*r) for r in rows]


def seen_up_to(conn: sqlite3.Connection, agent: str) -> int | None:
    """The last notice id `agent` has been shown (None: never shown any)."""
    row = conn.execute("SELECT last_id FROM notification_seen WHERE agent = ?", (agent,)).fetchone()
    return int(row[0]) if row else None


def mark_seen(conn: sqlite3.Connection, agent: str, last_id: int) -> None:
    """Remember that `agent` has been shown every notice up to `last_id`."""
    conn.execute(
        "INSERT INTO notification_seen (agent, last_id) VALUES (?, ?) "
        "ON CONFLICT (agent) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)",
        (agent, last_id),
    )


def newest_notice_id(conn: sqlite3.Connection) -> int:
    """The id of the newest notice (0: none)."""
    row = conn.execute("SELECT MAX(id) FROM notifications").fetchone()
    return int(row[0] or 0)
