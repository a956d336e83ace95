"""A conversation for the team: its status, tags and assignee, never over a colleague's claim.

Resolving is `claims.resolve` (it also releases the claim); every other status change goes through
`set_status`, which keeps the agent's claim as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles
from socialdesk.team.claims import refuse_if_held
from socialdesk.team.schema import CLOSED, STATUSES

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
        row = conn.execute(
            "SELECT status FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,)
        ).fetchone()
        if row is not None and row[0] == CLOSED:
            raise UserError(
                "that conversation is closed (resolved, then quiet): it stays closed until the "
                "customer writes again"
            )
        refuse_if_held(conn, conversation_id, agent)
        changed = conn.execute(
            "UPDATE conversations SET status = %s, snoozed_until = %s, updated_at = team_now(), "
            "updated_by = %s WHERE id = %s RETURNING id",
            (status, snoozed_until if status == "snoozed" else None, agent, conversation_id),
        ).fetchone()
        if changed is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        audit.record(conn, agent, "status", conversation_id, status=status, until=snoozed_until)


def tag(conn: psycopg.Connection, conversation_id: int, agent: str, tag: str, remove: bool = False) -> bool:
    """Add (or remove) one tag on a conversation, audited; whether the tags changed.

    A set operation on the row as it is when the UPDATE runs (never a read-modify-write of the
    array), so two agents tagging at once both keep their tag. A tag changes no queue state, so it
    is not a "change meanwhile" for a colleague's offline status, and a colleague's claim allows it.

    Raises:
        NotAllowed: `agent` is not an active team member.
        UserError: an empty tag or one with spaces, or no such conversation.
    """
    if not tag or any(c.isspace() for c in tag):
        raise UserError("a tag is one word without spaces")
    with conn.transaction():
        roles.require(conn, agent, "tag")
        change = "array_remove(tags, %(t)s::text)" if remove else "array_append(tags, %(t)s::text)"
        changed = conn.execute(
            f"UPDATE conversations SET tags = {change} "
            f"WHERE id = %(id)s AND {'' if remove else 'NOT'} %(t)s = ANY(tags) RETURNING id",
            {"t": tag, "id": conversation_id},
        ).fetchone()
        if changed is None:
            if (
                conn.execute("SELECT 1 FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
                is None
            ):
                raise UserError(f"no conversation {conversation_id} in the team database")
            return False
        audit.record(conn, agent, "untag" if remove else "tag", conversation_id, tag=tag)
    return True


def assign(conn: psycopg.Connection, conversation_id: int, agent: str, to: str) -> None:
    """Assign a conversation to `to` ("" unassigns), never over a colleague's live claim; audited.

    Taking a conversation for yourself (or letting go of your own) is any member's; moving it to
    or from someone else is a supervisor's. Handing away a conversation you hold releases your claim,
    so its new assignee can claim it.

    Raises:
        ClaimConflict: someone other than `agent` holds a live claim on it (nothing is changed).
        NotAllowed: the agent's role does not allow it.
        UserError: no such conversation, or `to` is not an active member.
    """
    with conn.transaction():
        row = conn.execute(
            "SELECT assigned_to FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,)
        ).fetchone()
        if row is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        before = str(row[0])
        roles.require(conn, agent, "claim" if {before, to} <= {"", agent} else "assign")
        if to and roles.role_of(conn, to) is None:
            raise UserError(f"{to} is not an active member of the team")
        refuse_if_held(conn, conversation_id, agent)
        conn.execute(
            "UPDATE conversations SET assigned_to = %s, updated_at = team_now(), updated_by = %s "
            "WHERE id = %s",
            (to, agent, conversation_id),
        )
        audit.record(conn, agent, "assign", conversation_id, to=to, previous=before)
        if to != agent:
            released = conn.execute(
                "UPDATE claims SET agent = '', lease_until = 0 WHERE conversation_id = %s AND agent = %s "
                "AND lease_until > team_now() RETURNING conversation_id",
                (conversation_id, agent),
            ).fetchone()
            if released is not None:
                audit.record(conn, agent, "release", conversation_id, why="assign")
