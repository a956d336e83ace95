"""Small team databases for the tests: members and conversations written as the hub would."""

from __future__ import annotations

import psycopg


def add_agents(conn: psycopg.Connection, **members: str) -> None:
    """Team members by name = role, written directly (the first supervisor bootstraps a real team)."""
    for name, role in members.items():
        conn.execute("INSERT INTO agents (name, role) VALUES (%s, %s)", (name, role))


def add_conversation(
    conn: psycopg.Connection,
    key: str,
    priority: int = 1,
    status: str = "new",
    due_at: float | None = None,
    created_at: float = 1_795_000_000.0,
    assigned_to: str = "",
) -> int:
    """One conversation on the demo network; its id."""
    row = conn.execute(
        "INSERT INTO conversations (network, key, priority, status, due_at, created_at, assigned_to) "
        "VALUES ('demo', %s, %s, %s, %s, %s, %s) RETURNING id",
        (key, priority, status, due_at, created_at, assigned_to),
    ).fetchone()
    assert row is not None
    return int(row[0])


def lapse(conn: psycopg.Connection, conversation_id: int) -> None:
    """Wait (on the server's clock, not a timer) until the claim's lease has ended."""
    while True:
        row = conn.execute(
            "SELECT lease_until <= team_now() FROM claims WHERE conversation_id = %s", (conversation_id,)
        ).fetchone()
        assert row is not None
        if row[0]:
            return
        conn.execute("SELECT pg_sleep(0.01)")
