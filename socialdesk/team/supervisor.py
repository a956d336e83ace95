"""The supervisor's figures: each agent's claimed conversations, live queue sizes and SLA breaches."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from socialdesk.team import roles

if TYPE_CHECKING:
    import psycopg

# Statuses still waiting on the team (resolved is done; pending waits on the customer, still shown).
OPEN_WORK = ("new", "open", "pending", "snoozed", "escalated")


class AgentLoad(msgspec.Struct, frozen=True):
    """One team member and the conversations they hold live claims on, oldest claim first."""

    agent: str
    role: str
    claimed: tuple[int, ...]


class Breach(msgspec.Struct, frozen=True):
    """A conversation past its first-response due time with no response yet."""

    conversation_id: int
    assigned_to: str
    status: str
    overdue: float
    """Seconds past due_at, by the server's clock."""


class SupervisorView(msgspec.Struct, frozen=True):
    """What the supervisor screen shows, read in one snapshot."""

    at: float
    agents: tuple[AgentLoad, ...]
    queue: dict[str, int] = msgspec.field(default_factory=dict)
    """Conversations per open status (every status of OPEN_WORK, 0 when none)."""
    claimable: int = 0
    """New or open conversations with no live claim."""
    awaiting_approval: int = 0
    """Replies held for an approver."""
    breaches: tuple[Breach, ...] = ()
    """The most overdue first, at most `breach_limit`."""
    breach_count: int = 0


def supervisor_view(conn: psycopg.Connection, viewer: str, breach_limit: int = 50) -> SupervisorView:
    """The figures as of now, for a supervisor only.

    Raises:
        NotAllowed: `viewer` is not a supervisor.
    """
    # REPEATABLE READ: every figure comes from the same snapshot, so they add up.
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        roles.require(conn, viewer, "supervise")
        now_row = conn.execute("SELECT team_now()").fetchone()
        now = float(now_row[0]) if now_row else 0.0
        members = conn.execute("SELECT name, role FROM agents WHERE active ORDER BY name").fetchall()
        claimed: dict[str, list[int]] = {}
        for agent, conversation_id in conn.execute(
            "SELECT agent, conversation_id FROM claims WHERE agent <> '' AND lease_until > %s "
            "ORDER BY claimed_at, conversation_id",
            (now,),
        ):
            claimed.setdefault(str(agent), []).append(int(conversation_id))
        known = {str(name) for name, _ in members}
        loads = [AgentLoad(str(n), str(r), tuple(claimed.get(str(n), ()))) for n, r in members]
        # A claim by someone no longer active still holds the conversation: show it too.
        loads += [AgentLoad(a, "", tuple(ids)) for a, ids in sorted(claimed.items()) if a not in known]
        queue = dict.fromkeys(OPEN_WORK, 0)
        for status, count in conn.execute(
            "SELECT status, count(*) FROM conversations WHERE status = ANY(%s) GROUP BY status",
            (list(OPEN_WORK),),
        ):
            queue[str(status)] = int(count)
        claimable_row = conn.execute(
            "SELECT count(*) FROM conversations c WHERE c.status IN ('new', 'open') AND NOT EXISTS "
            "(SELECT 1 FROM claims k WHERE k.conversation_id = c.id AND k.agent <> '' "
            "AND k.lease_until > %s)",
            (now,),
        ).fetchone()
        approval_row = conn.execute(
            "SELECT count(*) FROM replies WHERE state = 'awaiting_approval'"
        ).fetchone()
        overdue = "FROM conversations WHERE status = ANY(%s) AND first_response_at IS NULL AND due_at < %s"
        count_row = conn.execute(f"SELECT count(*) {overdue}", (list(OPEN_WORK), now)).fetchone()
        breaches = tuple(
            Breach(int(i), str(a), str(s), now - float(d))
            for i, a, s, d in conn.execute(
                f"SELECT id, assigned_to, status, due_at {overdue} ORDER BY due_at, id LIMIT %s",
                (list(OPEN_WORK), now, breach_limit),
            )
        )
    return SupervisorView(
        at=now,
        agents=tuple(loads),
        queue=queue,
        claimable=int(claimable_row[0]) if claimable_row else 0,
        awaiting_approval=int(approval_row[0]) if approval_row else 0,
        breaches=breaches,
        breach_count=int(count_row[0]) if count_row else 0,
    )
