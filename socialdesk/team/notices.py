"""Notices for the team's agents in PostgreSQL: what an automation's `notify` raised, once per firing.

The hub raises them in the transaction of the firing (hub/automations.py), so a firing claimed once
notifies once; the change feed brings them to every desk's cache (store/team_notices.py), where the
desk shows them as it shows its own (services/notifications.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


def raise_notices(
    conn: psycopg.Connection, key: str, post_id: int | None, audiences: Sequence[str], origin: str
) -> int:
    """Raise one notice per audience ("desk": everyone, else an agent's name) for a firing named `key`;
    how many were new (a firing asked again raises none)."""
    raised = 0
    for audience in dict.fromkeys(audiences):
        cur = conn.execute(
            "INSERT INTO notices (key, post_id, audience, origin) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (key) DO NOTHING",
            (f"{key}:{audience}", post_id, audience, origin),
        )
        raised += cur.rowcount
    return raised
