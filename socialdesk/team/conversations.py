"""A conversation's status for the team (pending, snoozed, open, escalated), never over a colleague's claim.

Resolving is `claims.resolve` (it also releases the claim); every other status change goes through
`set_status`, which keeps the agent's claim as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles
from socialdesk.team.claims import ClaimConflict, holder_line
from socialdesk.team.schema import STATUSES

if TYPE_CHECKING:
    import psycopg


def set_status(
    conn: psycopg.Connection,
    conversation_id: int,
    agent: str,
    status: str,
    snoozed_until: float | None = None,
) -> None:
    """Set a conversation's status (snoozed: until `snoozed_until`, epoch seconds), audited.

    Raises:
        ClaimConflict: another agent holds a live claim on it (nothing is changed).
        NotAllowed: `agent` is not an active team member.
        UserError: an unknown status, a snooze without its end, or no such conversation.
    """
    if status not in STATUSES:
        raise UserError(f"unknown status {status!r} (known: {', '.join(STATUSES)})")
    if status == "snoozed" and snoozed_until is None:
        raise UserError("snoozing needs a time to wake up")
    with conn.transaction():
        roles.require(conn, agent, "set_status")
        conn.execute("SELECT 1 FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,))
        held = conn.execute(
            "SELECT 1 FROM claims WHERE conversation_id = %s AND agent NOT IN ('', %s) "
            "AND lease_until > team_now()",
            (conversation_id, agent),
        ).fetchone()
        if held is not None:
            raise ClaimConflict(holder_line(conn, conversation_id))
        changed = conn.execute(
            "UPDATE conversations SET status = %s, snoozed_until = %s, updated_at = team_now(), "
            "updated_by = %s WHERE id = %s RETURNING id",
            (status, snoozed_until if status == "snoozed" else None, agent, conversation_id),
        ).fetchone()
        if changed is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        audit.record(conn, agent, "status", conversation_id, status=status, until=snoozed_until)
