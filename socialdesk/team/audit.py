"""The team's audit log: one INSERT per action (the table refuses every UPDATE, DELETE and TRUNCATE)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

if TYPE_CHECKING:
    import psycopg


def record(
    conn: psycopg.Connection,
    agent: str,
    action: str,
    conversation_id: int | None = None,
    post_id: int | None = None,
    **detail: Any,
) -> None:
    """Append one entry, in the caller's transaction (so it stands or falls with the change)."""
    conn.execute(
        "INSERT INTO audit (agent, action, conversation_id, post_id, detail) VALUES (%s, %s, %s, %s, %s)",
        (agent, action, conversation_id, post_id, Jsonb(detail)),
    )
