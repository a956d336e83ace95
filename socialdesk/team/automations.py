"""What the playbook's automations read and write in the team database (hub/automations.py runs them).

A conversation waits on us while its status is new, open or escalated and a customer post of it
(actionable, not deleted) came after our last answer: a post of ours in it, or a reply for it in the
shared outbox that an agent wrote and did not take back (the cache's rule, with the team's outbox
standing in for the desk's). The wait started at the first such post. A quiet resolved conversation
is resolved and has nothing open from the customer. A firing is claimed in `automation_runs` (one
row per automation, conversation and condition) in the transaction of its changes, so two hubs, or
a hub and its successor, never fire one twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from socialdesk.team import audit

if TYPE_CHECKING:
    import psycopg

AUTOMATION_AGENT = "automation"  # who the audit log, notes and `updated_by` name
WAITING = ["new", "open", "escalated"]
# Outbox states in which a reply answers the customer (written and not discarded; a failed one left
# the customer without an answer).
ANSWERING = ["awaiting_approval", "queued", "sending", "sent", "waiting", "unknown", "needs_auth"]

_WAIT = """
SELECT c.id, w.id, w.created_at
FROM conversations c
CROSS JOIN LATERAL (
    SELECT greatest(
        (SELECT max(o.created_at) FROM posts o WHERE o.conversation_id = c.id AND o.is_ours),
        (SELECT max(r.created_at) FROM replies r WHERE r.conversation_id = c.id
            AND r.state = ANY(%(answering)s))) AS at
) answered
CROSS JOIN LATERAL (
    SELECT q.id, q.created_at FROM posts q
    WHERE q.conversation_id = c.id AND NOT q.is_ours AND q.actionable AND q.deleted_at IS NULL
      AND (answered.at IS NULL OR q.created_at > answered.at)
    ORDER BY q.created_at, q.id LIMIT 1
) w
JOIN posts p ON p.id = w.id
WHERE c.status = ANY(%(waiting)s) AND {only}
  -- a wait that began in the horizon needs a post since (0: a conversation no post dated yet)
  AND (c.last_post_at >= %(horizon)s OR c.last_post_at = 0)
  AND w.created_at BETWEEN %(horizon)s AND %(waited_since)s
  AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.automation = %(automation)s
                  AND r.conversation_id = c.id AND r.instance = w.id::text)
  AND ({where})
ORDER BY w.created_at, w.id
LIMIT %(limit)s
"""

_QUIET = """
SELECT c.id, p.id, coalesce(c.status_at, c.updated_at) AS resolved_at,
    coalesce(c.status_at, c.updated_at)::text AS instance
FROM conversations c
CROSS JOIN LATERAL (
    SELECT q.* FROM posts q WHERE q.conversation_id = c.id AND NOT q.is_ours
    ORDER BY q.created_at DESC, q.id DESC LIMIT 1
) p
WHERE c.status = 'resolved' AND {only}
  AND coalesce(c.status_at, c.updated_at) <= %(resolved_before)s
  AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.automation = %(automation)s
                  AND r.conversation_id = c.id AND r.instance = coalesce(c.status_at, c.updated_at)::text)
  AND ({where})
ORDER BY resolved_at, c.id
LIMIT %(limit)s
"""


def _only(conversation: int | None) -> str:
    return "true" if conversation is None else f"c.id = {int(conversation)}"


def unanswered(
    conn: psycopg.Connection,
    automation: str,
    waited_since: float,
    horizon: float,
    where: str = "true",
    params: Sequence[Any] = (),
    limit: int = 500,
    conversation: int | None = None,
) -> list[tuple[int, int]]:
    """Conversations waiting on us since a post that arrived in [horizon, waited_since], which
    `automation` has not fired for, oldest wait first: (conversation id, the post that started it).

    Args:
        where, params: an automation's query (services/team_query.py) the waiting post must match.
        conversation: look at this conversation only (the re-check under its lock).
    """
    named = {f"q{i}": v for i, v in enumerate(params)}
    sql = _WAIT.format(only=_only(conversation), where=_named(where, len(params)))
    with conn.transaction():
        _no_jit(conn)
        rows = conn.execute(
            sql,
            {
                **named,
                "answering": ANSWERING,
                "waiting": WAITING,
                "horizon": horizon,
                "waited_since": waited_since,
                "automation": automation,
                "limit": limit,
            },
        ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def quiet_resolved(
    conn: psycopg.Connection,
    automation: str,
    resolved_before: float,
    where: str = "true",
    params: Sequence[Any] = (),
    limit: int = 500,
    conversation: int | None = None,
) -> list[tuple[int, int, float, str]]:
    """Conversations resolved before `resolved_before` that `automation` has not fired for since,
    oldest resolution first: (conversation id, its latest customer post, resolved at, the condition's
    instance: that time as the server spells it, the same for every hub).

    The query (`where`) is matched on the conversation's latest customer post.
    """
    named = {f"q{i}": v for i, v in enumerate(params)}
    sql = _QUIET.format(only=_only(conversation), where=_named(where, len(params)))
    with conn.transaction():
        _no_jit(conn)
        rows = conn.execute(
            sql, {**named, "resolved_before": resolved_before, "automation": automation, "limit": limit}
        ).fetchall()
    return [(int(r[0]), int(r[1]), float(r[2]), str(r[3])) for r in rows]


def _no_jit(conn: psycopg.Connection) -> None:
    """No JIT compilation for the rest of the transaction: the lookups per conversation make the
    planner's estimate look costly, and compiling them cost more than running them (README: Team)."""
    conn.execute("SET LOCAL jit = off")


def _named(where: str, count: int) -> str:
    """A query's `%s` placeholders as named ones (the statements around it use names)."""
    parts = where.split("%s")
    if len(parts) != count + 1:
        raise ValueError("the query's placeholders do not match its values")
    return "".join(part + (f"%(q{i})s" if i < count else "") for i, part in enumerate(parts))


def lock(conn: psycopg.Connection, conversation_id: int) -> None:
    """Lock a conversation's row until the transaction ends (a firing re-checks its condition under it)."""
    conn.execute("SELECT 1 FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,))


def claim_run(
    conn: psycopg.Connection,
    automation: str,
    conversation_id: int,
    instance: str,
    post_id: int,
    at: float,
    hub: str,
) -> bool:
    """Record that an automation fires for a conversation and condition; False when it already had.

    The primary key decides: a second hub's INSERT waits for the first's transaction, then finds
    the row and changes nothing.
    """
    row = conn.execute(
        "INSERT INTO automation_runs (automation, conversation_id, instance, post_id, at, hub) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        (automation, conversation_id, instance, post_id, at, hub),
    ).fetchone()
    return row is not None


def set_run_did(
    conn: psycopg.Connection, automation: str, conversation_id: int, instance: str, did: str
) -> None:
    """Say what a firing did."""
    conn.execute(
        "UPDATE automation_runs SET did = %s "
        "WHERE automation = %s AND conversation_id = %s AND instance = %s",
        (did, automation, conversation_id, instance),
    )


def raise_priority(conn: psycopg.Connection, conversation_id: int, priority: int) -> bool:
    """Raise a conversation's priority to at least `priority` (never lowers it); whether it rose."""
    row = conn.execute(
        "UPDATE conversations SET priority = %s, updated_at = team_now(), updated_by = %s "
        "WHERE id = %s AND priority < %s RETURNING id",
        (priority, AUTOMATION_AGENT, conversation_id, priority),
    ).fetchone()
    return row is not None


def escalate(
    conn: psycopg.Connection, conversation_id: int, post_id: int, role: str, note: str, key: str
) -> None:
    """Escalate a conversation to a role: status escalated, tag `escalated:ROLE` (a set operation),
    and a note under `key` (stored once)."""
    tag = f"escalated:{role}"
    conn.execute(
        "UPDATE conversations SET status = 'escalated', snoozed_until = NULL, "
        "tags = CASE WHEN %(tag)s = ANY(tags) THEN tags ELSE array_append(tags, %(tag)s::text) END, "
        "updated_at = team_now(), updated_by = %(by)s WHERE id = %(id)s",
        {"tag": tag, "by": AUTOMATION_AGENT, "id": conversation_id},
    )
    conn.execute(
        "INSERT INTO notes (conversation_id, post_id, agent, text, key) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (key) DO NOTHING",
        (conversation_id, post_id, AUTOMATION_AGENT, f"[escalated to {role}] {note.strip()}", key),
    )


def close(conn: psycopg.Connection, conversation_id: int) -> None:
    """Close a resolved conversation (final: only a customer's new post brings it back)."""
    conn.execute(
        "UPDATE conversations SET status = 'closed', updated_at = team_now(), updated_by = %s "
        "WHERE id = %s AND status = 'resolved'",
        (AUTOMATION_AGENT, conversation_id),
    )


def record(conn: psycopg.Connection, conversation_id: int, post_id: int, **detail: Any) -> None:
    """Audit one firing (agent `automation`), in the firing's transaction."""
    audit.record(conn, AUTOMATION_AGENT, "automation", conversation_id, post_id, **detail)


def wake_snoozed(conn: psycopg.Connection, now: float, hub: str) -> list[int]:
    """Reopen the conversations whose snooze ended by `now`, each audited; their ids.

    One UPDATE: a second hub doing the same at once finds them open already and wakes none twice.
    """
    with conn.transaction():
        woke = [
            int(r[0])
            for r in conn.execute(
                "UPDATE conversations SET status = 'open', snoozed_until = NULL, updated_at = team_now(), "
                "updated_by = %s WHERE status = 'snoozed' AND coalesce(snoozed_until, 0) <= %s RETURNING id",
                (AUTOMATION_AGENT, now),
            )
        ]
        for conversation_id in woke:
            audit.record(conn, AUTOMATION_AGENT, "woke", conversation_id, hub=hub)
    return woke


def runs_for(conn: psycopg.Connection, conversation_id: int) -> list[tuple[str, str, float, str]]:
    """The firings on a conversation: (automation, instance, when, what it did), oldest first."""
    return [
        (str(a), str(i), float(t), str(d))
        for a, i, t, d in conn.execute(
            "SELECT automation, instance, at, did FROM automation_runs "
            "WHERE conversation_id = %s ORDER BY at",
            (conversation_id,),
        )
    ]
