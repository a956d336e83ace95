"""A team desk's replies against the shared outbox: which still wait to be handed over, and the copy kept.

A reply is written in the cache first and handed over later (services/team_outbox.py); `team_id`
says it was. From then on the team's row is the reply: the hub moves it along `reply_moves.MOVES`,
and the change feed brings every row of the shared outbox here, the team's own replies included, so
the thread, the outbox list and the approvals show what the whole team wrote.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from socialdesk.models import ReplyState
from socialdesk.store.replies import COLUMNS, ReplyRow
from socialdesk.store.rows import marks, read

_S = ReplyState
# Copied from the team's row into the cache's (besides the state).
_FOLLOWED = (
    "state",
    "approved_by",
    "remote_id",
    "remote_url",
    "remote_refs",
    "error",
    "attempts",
    "send_after",
    "next_attempt_at",
    "first_attempt_at",
)


class Waiting(msgspec.Struct, frozen=True):
    """A reply (all parts of a thread) still to hand over, and the post it answers."""

    parts: tuple[ReplyRow, ...]
    network: str
    native_id: str


class Moved(msgspec.Struct, frozen=True):
    """A reply of the cache whose team row moved: the outbox event the desk reports."""

    reply_id: int
    post_id: int | None
    agent: str
    state: str
    error: str
    remote_url: str
    held_for_agent: bool = False  # unknown, with no time set to check it again: the agent decides


def waiting(conn: sqlite3.Connection, limit: int = 50) -> list[Waiting]:
    """Replies written here and not handed over yet, oldest first, each thread whole."""
    rows = list(
        read(
            ReplyRow,
            conn.execute(
                f"SELECT {COLUMNS} FROM replies WHERE team_id IS NULL AND state IN (?, ?) "
                "ORDER BY id LIMIT ?",
                (_S.QUEUED, _S.AWAITING_APPROVAL, limit),
            ),
        )
    )
    found: dict[str, list[ReplyRow]] = {}
    for row in rows:
        found.setdefault(row.group_key or f"#{row.id}", []).append(row)
    out = []
    for parts in found.values():
        first = parts[0]
        if first.group_key:  # a thread met the limit part-way: read it whole
            parts = list(
                read(
                    ReplyRow,
                    conn.execute(
                        f"SELECT {COLUMNS} FROM replies WHERE group_key = ? ORDER BY part", (first.group_key,)
                    ),
                )
            )
        post = conn.execute("SELECT network, native_id FROM posts WHERE id = ?", (first.post_id,)).fetchone()
        out.append(Waiting(tuple(parts), str(post[0]) if post else "", str(post[1]) if post else ""))
    return out


def handed_over(conn: sqlite3.Connection, team_ids: Mapping[int, int]) -> list[int]:
    """Record which team rows the cache's replies became; the replies taken back meanwhile (by id).

    A reply the agent undid while it was being handed over is still recorded (the caller takes it
    back on the team's side too); each reply is recorded once.
    """
    undone = []
    for reply_id, team_id in team_ids.items():
        conn.execute("UPDATE replies SET team_id = ? WHERE id = ? AND team_id IS NULL", (team_id, reply_id))
        state = conn.execute("SELECT state FROM replies WHERE id = ?", (reply_id,)).fetchone()
        if state is not None and state[0] == _S.DISCARDED:
            undone.append(reply_id)
    return undone


def team_ids(conn: sqlite3.Connection, reply_ids: Iterable[int]) -> dict[int, int]:
    """The team rows of the cache's replies that were handed over (the others are left out)."""
    ids = list(reply_ids)
    return {
        int(r): int(t)
        for r, t in conn.execute(
            f"SELECT id, team_id FROM replies WHERE id IN ({marks(ids)}) AND team_id IS NOT NULL", ids
        )
    }


def follow(
    conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]], posts: Mapping[int, int], offset: float
) -> list[Moved]:
    """Bring rows of the shared outbox into the cache; the replies whose state changed.

    Args:
        rows: the team's replies rows, as the change feed reads them.
        posts: the team's post id -> the cache's, for the posts they answer.
        offset: the team server's clock minus the desk's (its times are kept on the desk's clock).
    """
    moved = []
    for row in rows:
        values = {name: row[name] for name in _FOLLOWED}
        for name in ("send_after", "next_attempt_at", "first_attempt_at"):
            if values[name] is not None:
                values[name] = float(values[name]) - offset
        values["attempts"] = int(values["attempts"])
        before = conn.execute(
            "SELECT id, state FROM replies WHERE idempotency_key = ?", (row["idempotency_key"],)
        ).fetchone()
        if before is None:
            post_id = posts.get(int(row["post_id"])) if row["post_id"] is not None else None
            if post_id is None:
                continue  # a reply to a post this cache does not hold has no thread to be shown in
            cur = conn.execute(
                "INSERT INTO replies (post_id, network, account, text, dm, idempotency_key, agent, "
                "group_key, part, parts, created_at, updated_at, scheduled, team_id, "
                f"{', '.join(values)}) VALUES "
                f"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {', '.join('?' for _ in values)})",
                (
                    post_id,
                    row["network"],
                    row["account"],
                    row["text"],
                    int(bool(row["dm"])),
                    row["idempotency_key"],
                    row["agent"],
                    row["group_key"],
                    row["part"],
                    row["parts"],
                    float(row["created_at"]) - offset,
                    float(row["updated_at"]) - offset,
                    int(bool(row["scheduled"])),
                    row["id"],
                    *values.values(),
                ),
            )
            reply_id, state_before = int(cur.lastrowid or 0), ""
        else:
            reply_id, state_before = int(before[0]), str(before[1])
            conn.execute(
                f"UPDATE replies SET {', '.join(f'{n} = ?' for n in values)}, team_id = ?, updated_at = ? "
                "WHERE id = ?",
                (*values.values(), row["id"], float(row["updated_at"]) - offset, reply_id),
            )
        if values["state"] != state_before:
            post = conn.execute("SELECT post_id FROM replies WHERE id = ?", (reply_id,)).fetchone()
            moved.append(
                Moved(
                    reply_id,
                    post[0] if post else None,
                    str(row["agent"]),
                    str(values["state"]),
                    str(values["error"]),
                    str(values["remote_url"]),
                    values["state"] == _S.UNKNOWN and values["next_attempt_at"] is None,
                )
            )
    return moved
