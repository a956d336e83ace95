"""Where each agent left the desk: the saved queue shown and the post under the cursor."""

from __future__ import annotations

import sqlite3

import msgspec


class Place(msgspec.Struct, frozen=True):
    """A view of the desk (a saved queue's key, None for every post) and the post selected in it."""

    queue: int | None
    post_id: int | None


def save_place(conn: sqlite3.Connection, agent: str, place: Place, now: float) -> None:
    """Remember where `agent` is (one row per agent: agents sharing a cache keep their own)."""
    conn.execute(
        "INSERT INTO desk_place (agent, queue, post_id, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (agent) DO UPDATE SET queue = excluded.queue, post_id = excluded.post_id, "
        "updated_at = excluded.updated_at",
        (agent, place.queue, place.post_id, now),
    )


def load_place(conn: sqlite3.Connection, agent: str) -> Place | None:
    """Where `agent` left the desk, or None."""
    row = conn.execute("SELECT queue, post_id FROM desk_place WHERE agent = ?", (agent,)).fetchone()
    return Place(row[0], row[1]) if row else None
