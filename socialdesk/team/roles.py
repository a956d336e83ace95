"""Who may do what in a team: the one place roles are checked (agent < approver < supervisor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit
from socialdesk.team.schema import ROLES

if TYPE_CHECKING:
    import psycopg

# Each role can do everything the ones before it can.
RANK = {role: rank for rank, role in enumerate(ROLES)}
# The least role each action needs. A team action not listed here is a programming error.
NEEDS: dict[str, str] = {
    "claim": "agent",
    "release": "agent",
    "reply": "agent",
    "note": "agent",
    "tag": "agent",
    "correct": "agent",
    "customer": "agent",  # a customer's fields (e-mail, order number, CRM id)
    "set_status": "agent",
    "presence": "agent",
    "approve": "approver",
    "supervise": "supervisor",
    "assign": "supervisor",
    "manage_agents": "supervisor",
    "playbook": "supervisor",  # publishing the team's canned replies; every member uses them
}


class NotAllowed(UserError):
    """The agent's role does not allow the action (or the agent is not an active team member)."""


def role_of(conn: psycopg.Connection, agent: str) -> str | None:
    """The role of an active team member, or None."""
    row = conn.execute("SELECT role FROM agents WHERE name = %s AND active", (agent,)).fetchone()
    return str(row[0]) if row else None


def require(conn: psycopg.Connection, agent: str, action: str) -> str:
    """Check that `agent` may do `action`; return the agent's role.

    Raises:
        NotAllowed: one line saying who, what, and which role it needs.
    """
    needed = NEEDS[action]
    role = role_of(conn, agent)
    if role is None:
        raise NotAllowed(f"{agent} is not an active member of the team (a supervisor adds agents)")
    if RANK[role] < RANK[needed]:
        raise NotAllowed(f"{agent} is an {role}: {action.replace('_', ' ')} needs the {needed} role")
    return role


def set_agent(conn: psycopg.Connection, actor: str, name: str, role: str, active: bool = True) -> None:
    """Add a team member or change one's role (a supervisor's action; the first member needs none).

    Raises:
        NotAllowed: the actor is not a supervisor (once the team has one).
        UserError: an unknown role or an empty name.
    """
    if role not in RANK:
        raise UserError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
    if not name.strip():
        raise UserError("an agent needs a name")
    with conn.transaction():
        # Serialise the bootstrap: two "first members" at once must not both skip the check.
        conn.execute("LOCK TABLE agents IN SHARE ROW EXCLUSIVE MODE")
        has_supervisor = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE role = 'supervisor' AND active)"
        ).fetchone()
        if has_supervisor and has_supervisor[0]:
            require(conn, actor, "manage_agents")
        conn.execute(
            "INSERT INTO agents (name, role, active) VALUES (%s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, active = EXCLUDED.active",
            (name, role, active),
        )
        audit.record(conn, actor, "agent.set", name=name, role=role, active=active)
