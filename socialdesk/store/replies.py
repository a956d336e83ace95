"""The outbox's rows, read by column name: one reply, a thread's parts, pages, what is due, approvals.

Their state changes only in `store.reply_moves`, along its table of moves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import msgspec

from socialdesk.models import ReplyState
from socialdesk.store.reply_moves import DUE_AT, PENDING
from socialdesk.store.rows import keyset_page, marks, read, read_one

_S = ReplyState


class ReplyRow(msgspec.Struct):
    """One reply in the outbox (a row of `replies`)."""

    id: int
    post_id: int | None
    network: str
    account: str
    text: str
    dm: bool
    state: str
    idempotency_key: str
    agent: str
    approved_by: str
    remote_id: str | None
    remote_url: str
    error: str
    attempts: int
    group_key: str | None
    part: int
    parts: int
    send_after: float | None
    next_attempt_at: float | None
    created_at: float
    updated_at: float
    first_attempt_at: float | None
    remote_refs: str = "{}"  # JSON: what the network returned beyond the id (SendResult.refs)
    scheduled: bool = False  # queued for a time the agent chose (send_after), not behind an undo window

    def as_dict(self) -> dict[str, object]:
        """The row as plain data (`outbox list --json`)."""
        return msgspec.structs.asdict(self)


COLUMNS = ", ".join(ReplyRow.__struct_fields__)
_SELECT = f"SELECT {COLUMNS} FROM replies"


# -- reading -------------------------------------------------------------------------------------


def get(conn: sqlite3.Connection, reply_id: int) -> ReplyRow | None:
    """One reply by id."""
    return read_one(ReplyRow, conn.execute(f"{_SELECT} WHERE id = ?", (reply_id,)))


def group_of(conn: sqlite3.Connection, row: ReplyRow) -> list[ReplyRow]:
    """Every part of the reply's thread in order (the reply alone when it is not a thread)."""
    if not row.group_key:
        return [row]
    return list(
        read(ReplyRow, conn.execute(f"{_SELECT} WHERE group_key = ? ORDER BY part", (row.group_key,)))
    )


def previous_part(conn: sqlite3.Connection, row: ReplyRow) -> ReplyRow | None:
    """The part of the thread before this one (None for a single reply or a first part)."""
    if not row.group_key or row.part <= 1:
        return None
    return read_one(
        ReplyRow,
        conn.execute(f"{_SELECT} WHERE group_key = ? AND part = ?", (row.group_key, row.part - 1)),
    )


def page(
    conn: sqlite3.Connection, states: Sequence[str] = (), before_id: int | None = None, limit: int = 50
) -> tuple[list[ReplyRow], bool]:
    """Newest replies first, keyset on id (`before_id`: the last id already shown), and whether more exist."""
    where = f"state IN ({marks(states)})" if states else "1"
    after = None if before_id is None else (before_id,)
    return keyset_page(conn, ReplyRow, _SELECT, where, list(states), ("id",), after, limit, descending=True)


def unsent(conn: sqlite3.Connection, limit: int = 5) -> tuple[list[ReplyRow], int]:
    """Up to `limit` queued or waiting replies, oldest first, and how many there are in all.

    Only this desk's: a reply handed to the team's outbox leaves through the team's hub.
    """
    states = (_S.QUEUED, _S.WAITING)
    here = "state IN (?, ?) AND team_id IS NULL"
    rows = list(read(ReplyRow, conn.execute(f"{_SELECT} WHERE {here} ORDER BY id LIMIT ?", (*states, limit))))
    (total,) = conn.execute(f"SELECT count(*) FROM replies WHERE {here}", states).fetchone()
    return rows, int(total)


def for_post(conn: sqlite3.Connection, post_id: int) -> list[ReplyRow]:
    """Every reply to one post, oldest first."""
    return list(read(ReplyRow, conn.execute(f"{_SELECT} WHERE post_id = ? ORDER BY id", (post_id,))))


def to_deliver(conn: sqlite3.Connection) -> list[ReplyRow]:
    """The replies delivery looks at, oldest first: those still to go out and those held by auth.

    A reply handed to the team's outbox is the team hub's to send, never this desk's.
    """
    states = [*PENDING, _S.NEEDS_AUTH]
    where = f"state IN ({marks(states)}) AND team_id IS NULL"
    return list(read(ReplyRow, conn.execute(f"{_SELECT} WHERE {where} ORDER BY id", states)))


def next_due(conn: sqlite3.Connection) -> float | None:
    """When a queued reply's undo window ends or a waiting or unknown one is next tried (None: never)."""
    cases = " ".join(
        f"WHEN ? THEN {column}" if null is None else f"WHEN ? THEN IFNULL({column}, {null!r})"
        for column, null in DUE_AT.values()
    )
    (due,) = conn.execute(
        f"SELECT MIN(CASE state {cases} END) FROM replies "
        f"WHERE state IN ({marks(DUE_AT)}) AND team_id IS NULL",
        [*DUE_AT, *DUE_AT],
    ).fetchone()
    return None if due is None else float(due)


def held_by_auth(conn: sqlite3.Connection, network: str, account: str) -> list[ReplyRow]:
    """The account's replies that wait for its sign-in to be fixed."""
    return list(
        read(
            ReplyRow,
            conn.execute(
                f"{_SELECT} WHERE account = ? AND network = ? AND state = ? ORDER BY id",
                (account, network, _S.NEEDS_AUTH),
            ),
        )
    )


class PendingApproval(msgspec.Struct, frozen=True):
    """A reply on an escalated conversation waiting for an approver."""

    reply_id: int
    post_id: int
    agent: str
    text: str
    created_at: float
    author_handle: str
    post_text: str


def awaiting_approval(
    conn: sqlite3.Connection, after_id: int | None = None, limit: int = 50
) -> tuple[list[PendingApproval], bool]:
    """Replies held for an approver, oldest first (keyset on the reply id), with the post each answers."""
    return keyset_page(
        conn,
        PendingApproval,
        "SELECT r.id AS reply_id, r.post_id, r.agent, r.text, r.created_at, "
        "IFNULL(p.author_handle, '') AS author_handle, IFNULL(p.text, '') AS post_text "
        "FROM replies r LEFT JOIN posts p ON p.id = r.post_id",
        "r.state = ?",
        [_S.AWAITING_APPROVAL],
        ("r.id",),
        None if after_id is None else (after_id,),
        limit,
        descending=False,
    )
