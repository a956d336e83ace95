"""Approving a reply held in the shared outbox: an approver's (or supervisor's) action only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg


def approve(conn: psycopg.Connection, reply_id: int, approver: str, undo_seconds: float = 0.0) -> int:
    """Release a reply held for approval, with the rest of its thread, to the hubs; returns rows queued.

    Raises:
        NotAllowed: `approver` lacks the approver role.
        UserError: the reply is not awaiting approval (already approved, discarded, unknown).
    """
    with conn.transaction():
        roles.require(conn, approver, "approve")
        row = conn.execute(
            "SELECT group_key, post_id, conversation_id FROM replies "
            "WHERE id = %s AND state = 'awaiting_approval' FOR UPDATE",
            (reply_id,),
        ).fetchone()
        if row is None:
            raise UserError(f"reply {reply_id} is not awaiting approval")
        group_key, post_id, conversation_id = row
        cur = conn.execute(
            "UPDATE replies SET state = 'queued', approved_by = %s, send_after = team_now() + %s, "
            "updated_at = team_now() WHERE state = 'awaiting_approval' AND "
            "(id = %s OR (group_key IS NOT NULL AND group_key = %s))",
            (approver, undo_seconds, reply_id, group_key),
        )
        audit.record(conn, approver, "reply.approved", conversation_id, post_id, reply=reply_id)
        return cur.rowcount
