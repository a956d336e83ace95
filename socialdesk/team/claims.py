"""The claim protocol: claim-next with FOR UPDATE SKIP LOCKED and a lease; renew, release, resolve.

Every function runs its own transaction on an autocommit connection (`team.connect`), so a claim is
committed (and in the change feed) when the function returns. A claim is live while
`lease_until > team_now()`; the claims table's primary key and a guarded upsert make two live claims
on one conversation impossible, whatever the interleaving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from socialdesk.errors import UserError
from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg

DEFAULT_LEASE = 120.0
# Takes the claims row only when nobody holds it live (or the claimer already does: a renewal).
_UPSERT = """
INSERT INTO claims (conversation_id, agent, claimed_at, lease_until)
VALUES (%(id)s, %(agent)s, team_now(), team_now() + %(lease)s)
ON CONFLICT (conversation_id) DO UPDATE
    SET agent = EXCLUDED.agent, claimed_at = EXCLUDED.claimed_at, lease_until = EXCLUDED.lease_until
    WHERE claims.agent IN ('', EXCLUDED.agent) OR claims.lease_until <= team_now()
RETURNING lease_until
"""


class ClaimConflict(UserError):
    """Someone else holds the conversation (the desk shows who, never overwrites it)."""


class Claim(msgspec.Struct, frozen=True):
    """A live claim this agent holds."""

    conversation_id: int
    agent: str
    lease_until: float
    taken_over_from: str = ""
    """The agent whose lease had lapsed, when the claim took one over."""


def _take(conn: psycopg.Connection, conversation_id: int, agent: str, lease: float) -> float | None:
    row = conn.execute(_UPSERT, {"id": conversation_id, "agent": agent, "lease": lease}).fetchone()
    if row is None:
        return None
    conn.execute(
        "UPDATE conversations SET assigned_to = %s, "
        "status = CASE WHEN status = 'new' THEN 'open' ELSE status END, "
        "updated_at = team_now(), updated_by = %s WHERE id = %s",
        (agent, agent, conversation_id),
    )
    return float(row[0])


def claim_next(conn: psycopg.Connection, agent: str, lease: float = DEFAULT_LEASE) -> Claim | None:
    """Claim the first claimable conversation in queue order; None when there is none.

    Claimable: new or open, no live claim, and assigned to nobody, to `agent`, or to someone whose
    own claim lapsed (their desk vanished). One server-side call (`team_claim_next`, migration 3):
    SKIP LOCKED, the guarded upsert, the assignment and the audit entry commit together.

    Raises:
        NotAllowed: `agent` is not an active team member.
    """
    roles.require(conn, agent, "claim")
    row = conn.execute("SELECT * FROM team_claim_next(%s, %s)", (agent, lease)).fetchone()
    if row is None:
        return None
    return Claim(int(row[0]), agent, float(row[1]), str(row[2]))


def claim(conn: psycopg.Connection, conversation_id: int, agent: str, lease: float = DEFAULT_LEASE) -> Claim:
    """Claim one conversation (opened from the feed), or renew this agent's claim on it.

    Raises:
        ClaimConflict: someone else holds a live claim on it; says who and until when.
        UserError: no such conversation.
    """
    with conn.transaction():
        roles.require(conn, agent, "claim")
        row = conn.execute(
            "SELECT id FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,)
        ).fetchone()
        if row is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        previous = conn.execute(
            "SELECT agent, lease_until <= team_now() FROM claims WHERE conversation_id = %s",
            (conversation_id,),
        ).fetchone()
        until = _take(conn, conversation_id, agent, lease)
        if until is None:
            raise ClaimConflict(holder_line(conn, conversation_id))
        taken_over = str(previous[0]) if previous and previous[0] not in ("", agent) and previous[1] else ""
        audit.record(conn, agent, "claim", conversation_id, lease=lease, taken_over_from=taken_over)
    return Claim(conversation_id, agent, until, taken_over)


def holder_line(conn: psycopg.Connection, conversation_id: int) -> str:
    """Who holds a conversation and for how long, as the desk shows it."""
    row = conn.execute(
        "SELECT agent, lease_until - team_now() FROM claims WHERE conversation_id = %s", (conversation_id,)
    ).fetchone()
    who, left = (str(row[0]), float(row[1])) if row else ("someone", 0.0)
    return f"{who} holds conversation {conversation_id} (lease ends in {max(0, round(left))} s)"


def refuse_if_held(conn: psycopg.Connection, conversation_id: int, agent: str) -> None:
    """Raise ClaimConflict when someone other than `agent` holds a live claim on the conversation.

    Call it with the conversation's row locked (FOR UPDATE), so no claim can start until the caller's
    change commits.
    """
    held = conn.execute(
        "SELECT 1 FROM claims WHERE conversation_id = %s AND agent NOT IN ('', %s) "
        "AND lease_until > team_now()",
        (conversation_id, agent),
    ).fetchone()
    if held is not None:
        raise ClaimConflict(holder_line(conn, conversation_id))


def renew(
    conn: psycopg.Connection, conversation_id: int, agent: str, lease: float = DEFAULT_LEASE
) -> float | None:
    """Extend this agent's live claim: the new lease end, or None when it was lost (lapsed or taken)."""
    row = conn.execute(
        "UPDATE claims SET lease_until = team_now() + %s "
        "WHERE conversation_id = %s AND agent = %s AND lease_until > team_now() RETURNING lease_until",
        (lease, conversation_id, agent),
    ).fetchone()
    return float(row[0]) if row else None


def release(conn: psycopg.Connection, conversation_id: int, agent: str, why: str = "release") -> bool:
    """End this agent's claim (the row stays, with no agent, so the change feed carries the release)."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE claims SET agent = '', lease_until = 0 WHERE conversation_id = %s AND agent = %s "
            "RETURNING conversation_id",
            (conversation_id, agent),
        ).fetchone()
        if row is not None:
            audit.record(conn, agent, "release", conversation_id, why=why)
    return row is not None


def resolve(conn: psycopg.Connection, conversation_id: int, agent: str) -> None:
    """Resolve a conversation and release its claim, in one transaction.

    Raises:
        ClaimConflict: another agent holds a live claim on it (their work is not overwritten).
        NotAllowed: `agent` is not an active team member.
    """
    with conn.transaction():
        roles.require(conn, agent, "set_status")
        conn.execute("SELECT 1 FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,))
        refuse_if_held(conn, conversation_id, agent)
        changed = conn.execute(
            "UPDATE conversations SET status = 'resolved', snoozed_until = NULL, updated_at = team_now(), "
            "updated_by = %s WHERE id = %s RETURNING id",
            (agent, conversation_id),
        ).fetchone()
        if changed is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        audit.record(conn, agent, "status", conversation_id, status="resolved")
        conn.execute(
            "UPDATE claims SET agent = '', lease_until = 0 WHERE conversation_id = %s AND agent = %s",
            (conversation_id, agent),
        )
