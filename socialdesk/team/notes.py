"""Internal notes for the whole team: each stored once under the key its desk gave it, and audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg


def add(
    conn: psycopg.Connection,
    conversation_id: int,
    agent: str,
    text: str,
    key: str,
    created_at: float,
    post: tuple[str, str] | None = None,
) -> int | None:
    """Add a note to a conversation, once per `key` (a replay of a stored key changes nothing).

    A note never conflicts: a colleague's claim or status leaves it welcome (it overwrites nothing).

    Args:
        post: the (network, native id) of the post it was written on, when the team has that post.

    Returns:
        The note's id, or None when a note with this key was already stored (by an earlier attempt).

    Raises:
        NotAllowed: `agent` is not an active team member.
        UserError: an empty note or no such conversation.
    """
    if not text.strip():
        raise UserError("the note is empty")
    network, native_id = post or ("", "")
    with conn.transaction():
        roles.require(conn, agent, "note")
        if conn.execute("SELECT 1 FROM conversations WHERE id = %s", (conversation_id,)).fetchone() is None:
            raise UserError(f"no conversation {conversation_id} in the team database")
        row = conn.execute(
            "INSERT INTO notes (conversation_id, post_id, agent, text, created_at, key) "
            "VALUES (%s, (SELECT id FROM posts WHERE network = %s AND native_id = %s), %s, %s, %s, %s) "
            "ON CONFLICT (key) DO NOTHING RETURNING id, post_id",
            (conversation_id, network, native_id, agent, text, created_at, key),
        ).fetchone()
        if row is None:
            return None
        audit.record(conn, agent, "note", conversation_id, row[1], note=int(row[0]), key=key)
    return int(row[0])
