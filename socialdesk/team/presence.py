"""Who is viewing or typing on a conversation: one row per agent and conversation, until a time.

A mark lasts until `until` on the server's clock (a desk that vanishes leaves nothing behind for
long); ending one is an UPDATE (`until` now), so the change feed carries it like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.team import roles

if TYPE_CHECKING:
    import psycopg

ACTIVITIES = ("viewing", "typing")


def mark(conn: psycopg.Connection, agent: str, conversation_id: int, activity: str, seconds: float) -> float:
    """Say `agent` is `activity` on the conversation for the next `seconds`; the mark's end (server clock).

    Raises:
        NotAllowed: `agent` is not an active team member.
        ValueError: an activity other than viewing or typing.
    """
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown presence activity {activity!r} (known: {', '.join(ACTIVITIES)})")
    with conn.transaction():
        roles.require(conn, agent, "presence")
        row = conn.execute(
            "INSERT INTO presence (agent, conversation_id, activity, until) "
            "VALUES (%s, %s, %s, team_now() + %s) ON CONFLICT (agent, conversation_id) "
            "DO UPDATE SET activity = EXCLUDED.activity, until = EXCLUDED.until RETURNING until",
            (agent, conversation_id, activity, seconds),
        ).fetchone()
    return float(row[0]) if row else 0.0


def end(conn: psycopg.Connection, agent: str, conversation_id: int) -> None:
    """End the agent's mark on the conversation (the row stays, so the feed carries the end)."""
    conn.execute(
        "UPDATE presence SET until = team_now() "
        "WHERE agent = %s AND conversation_id = %s AND until > team_now()",
        (agent, conversation_id),
    )
