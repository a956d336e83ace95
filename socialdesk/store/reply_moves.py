"""Every change of a reply's state, along `MOVES`, the one table of which state may follow which.

Each UPDATE here names the states it may start from, so a move the table does not allow (a sent
reply queued again, a reply being sent discarded) changes nothing, even when another worker or
process changed the row meanwhile. Adding a state means adding it to `models.ReplyState`, to `MOVES`
(and `DUE_AT` if delivery picks it up by time), and a function here that makes the move.

One copy follows instead of moving: a team desk's reply handed to the shared outbox is the team's
row from then on (the hub moves it along these same moves), and store/team_replies.follow copies it.
Delivery here never picks such a row up (`team_id` set).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from socialdesk.models import ReplyState
from socialdesk.store.rows import marks

if TYPE_CHECKING:
    from socialdesk.store.replies import ReplyRow

_S = ReplyState
# Which states each state may move to. Nothing leaves `sent` or `discarded` (a discarded reply goes
# back to the composer as a draft, the row stays as it was).
MOVES: dict[ReplyState, frozenset[ReplyState]] = {
    _S.AWAITING_APPROVAL: frozenset({_S.QUEUED, _S.DISCARDED}),
    # Claimed for sending, or failed without a try (an earlier part of its thread was not sent, or
    # no connector could be built).
    _S.QUEUED: frozenset({_S.SENDING, _S.FAILED, _S.DISCARDED}),
    _S.WAITING: frozenset({_S.SENDING, _S.QUEUED, _S.FAILED, _S.DISCARDED}),
    # Reconciled (found: sent; proved absent: sent again), still unclear, or retried by the agent.
    _S.UNKNOWN: frozenset(
        {_S.SENDING, _S.SENT, _S.UNKNOWN, _S.QUEUED, _S.NEEDS_AUTH, _S.FAILED, _S.DISCARDED}
    ),
    _S.SENDING: frozenset({_S.SENT, _S.WAITING, _S.UNKNOWN, _S.NEEDS_AUTH, _S.FAILED}),
    _S.FAILED: frozenset({_S.QUEUED, _S.DISCARDED}),
    _S.NEEDS_AUTH: frozenset({_S.QUEUED, _S.DISCARDED}),
    _S.SENT: frozenset(),
    _S.DISCARDED: frozenset(),
    _S.DRAFT: frozenset(),  # drafts live in the drafts table, never as replies
}
# The states a reply is written in (held for an approver, or queued behind its undo window).
INITIAL = frozenset({_S.AWAITING_APPROVAL, _S.QUEUED})
# States in which a reply still has to go out; they hold back later replies of the same account.
PENDING = (_S.QUEUED, _S.WAITING, _S.UNKNOWN, _S.SENDING)
# The states delivery picks up by time: the column saying when, and what its NULL means (a queued
# reply without an undo window is due at once; an unknown one without a time is held for the agent).
DUE_AT: dict[ReplyState, tuple[str, float | None]] = {
    _S.QUEUED: ("send_after", 0.0),
    _S.WAITING: ("next_attempt_at", None),
    _S.UNKNOWN: ("next_attempt_at", None),
}


class IllegalMove(ValueError):
    """A caller asked for a move `MOVES` does not list (a bug in the caller, never the data)."""


def sources(to: ReplyState) -> frozenset[ReplyState]:
    """The states from which a reply may move to `to`."""
    return frozenset(state for state, targets in MOVES.items() if to in targets)


# The states an agent may send again.
RETRYABLE = (_S.FAILED, _S.NEEDS_AUTH, _S.UNKNOWN, _S.WAITING)


def due_at(row: ReplyRow) -> float | None:
    """When delivery next picks the reply up (None: not by time; see `DUE_AT`)."""
    if (rule := DUE_AT.get(ReplyState(row.state))) is None:
        return None
    column, null = rule
    value = getattr(row, column)
    return null if value is None else float(value)


def insert(
    conn: sqlite3.Connection,
    post_id: int,
    network: str,
    account: str,
    texts: Sequence[str],
    keys: Sequence[str],
    *,
    state: ReplyState,
    agent: str,
    dm: bool,
    group_key: str | None,
    send_after: float | None,
    now: float,
    scheduled: bool = False,
) -> list[int]:
    """Write a reply (or the parts of a thread, numbered from 1) and return their ids.

    Args:
        texts: the final text of each part; keys: each part's idempotency key.
        state: one of `INITIAL`.
        send_after: when the undo window ends (None: held, see `release`), or the scheduled time.
        scheduled: `send_after` is a time the agent chose (it holds back no other reply).
    """
    if state not in INITIAL:
        raise IllegalMove(f"a reply is written awaiting approval or queued, not {state}")
    ids = []
    for index, (text, key) in enumerate(zip(texts, keys, strict=True), 1):
        cur = conn.execute(
            "INSERT INTO replies (post_id, network, account, text, dm, state, idempotency_key, agent, "
            "group_key, part, parts, send_after, created_at, updated_at, scheduled) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                post_id,
                network,
                account,
                text,
                int(dm),
                state,
                key,
                agent,
                group_key,
                index,
                len(texts),
                send_after,
                now,
                now,
                int(scheduled),
            ),
        )
        ids.append(int(cur.lastrowid or 0))
    return ids


def _move(
    conn: sqlite3.Connection,
    ids: Iterable[int] | None,
    to: ReplyState,
    now: float,
    *,
    start: Iterable[ReplyState] | None = None,
    sets: str = "",
    values: Sequence[object] = (),
    only_if: str = "",
    only_if_values: Sequence[object] = (),
) -> int:
    """Move replies (`ids`, or all when None) that are in one of the `start` states to `to`.

    Args:
        start: the states the move may begin in (default: every state `MOVES` allows it from);
            a state from which `MOVES` does not allow it is an IllegalMove.
        sets: further `column = ?` assignments, with `values`.
        only_if: a further condition on the rows, with `only_if_values`.

    Returns:
        How many replies moved (rows in another state stay as they are).
    """
    begin = sources(to) if start is None else frozenset(start)
    illegal = sorted(s for s in begin if to not in MOVES[ReplyState(s)])
    if illegal or not begin:
        raise IllegalMove(f"a reply cannot move from {', '.join(illegal) or 'nowhere'} to {to}")
    assignments = "state = ?, updated_at = ?" + (f", {sets}" if sets else "")
    where = f"state IN ({marks(begin)})"
    params: list[object] = [to, now, *values, *sorted(begin)]
    if ids is not None:
        chosen = list(ids)
        if not chosen:
            return 0
        where += f" AND id IN ({marks(chosen)})"
        params += chosen
    if only_if:
        where += f" AND ({only_if})"
        params += list(only_if_values)
    return conn.execute(f"UPDATE replies SET {assignments} WHERE {where}", params).rowcount


def take_back(conn: sqlite3.Connection, ids: Sequence[int], now: float) -> int:
    """Discard queued replies still inside their undo window; returns how many were."""
    return _move(
        conn, ids, _S.DISCARDED, now, start=[_S.QUEUED], only_if="send_after > ?", only_if_values=[now]
    )


def release(
    conn: sqlite3.Connection, ids: Sequence[int], approver: str, send_after: float, now: float
) -> int:
    """Queue replies held for approval, approved by `approver`, after a fresh undo window."""
    return _move(
        conn,
        ids,
        _S.QUEUED,
        now,
        start=[_S.AWAITING_APPROVAL],
        sets="approved_by = ?, send_after = ?",
        values=[approver, send_after],
    )


def requeue(conn: sqlite3.Connection, row: ReplyRow, now: float) -> int:
    """Try a failed, needs-auth, waiting or unknown reply again now, from the state it was read in.

    An unknown reply still being reconciled (next_attempt_at set) is checked on the network again,
    never resent blindly; one held for the agent (next_attempt_at NULL) is queued: the agent looked.
    """
    state = ReplyState(row.state)
    if state not in RETRYABLE:
        raise IllegalMove(f"only failed, needs-auth, waiting or unknown replies retry, not {state}")
    reconciling = state == _S.UNKNOWN and row.next_attempt_at is not None
    return _move(
        conn,
        [row.id],
        _S.UNKNOWN if reconciling else _S.QUEUED,
        now,
        start=[state],
        sets="send_after = ?, next_attempt_at = ?, error = ''",
        values=[now, now],
        only_if="" if not reconciling else "next_attempt_at IS NOT NULL",
    )


def discard(conn: sqlite3.Connection, ids: Sequence[int], now: float) -> int:
    """Give up on replies that have not been sent and are not being sent; returns how many."""
    return _move(conn, ids, _S.DISCARDED, now)


def interrupted(conn: sqlite3.Connection, now: float, error: str) -> int:
    """Every reply left `sending` (by a crash) becomes unknown, to be checked now; returns how many."""
    return _move(
        conn,
        None,
        _S.UNKNOWN,
        now,
        start=[_S.SENDING],
        sets="next_attempt_at = ?, error = ?",
        values=[now, error],
        only_if="team_id IS NULL",  # the team's hub is sending that one, not this desk
    )


def claim(conn: sqlite3.Connection, row: ReplyRow, now: float) -> bool:
    """Mark a reply `sending` (one more attempt), if it is still in the state it was read in."""
    moved = _move(
        conn,
        [row.id],
        _S.SENDING,
        now,
        start=[ReplyState(row.state)],
        sets="attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?)",
        values=[now],
    )
    return moved == 1


def settle(
    conn: sqlite3.Connection,
    reply_id: int,
    to: ReplyState,
    now: float,
    error: str,
    next_attempt_at: float | None,
) -> bool:
    """Record how an attempt (or a check) ended short of sent: waiting, unknown, needs auth or failed."""
    if to == _S.SENT:
        raise IllegalMove("a sent reply is recorded with mark_sent (it needs the network's id)")
    moved = _move(
        conn, [reply_id], to, now, sets="error = ?, next_attempt_at = ?", values=[error, next_attempt_at]
    )
    return moved == 1


def mark_sent(
    conn: sqlite3.Connection,
    row: ReplyRow,
    remote_id: str,
    remote_url: str,
    refs: Mapping[str, object],
    now: float,
) -> bool:
    """Record a reply the network has (sent now, or found by reconciling), and the post's first response."""
    moved = _move(
        conn,
        [row.id],
        _S.SENT,
        now,
        sets="remote_id = ?, remote_url = ?, remote_refs = ?, error = '', next_attempt_at = NULL",
        values=[remote_id, remote_url, json.dumps(refs)],
    )
    if moved and row.post_id is not None:
        conn.execute(
            "UPDATE posts SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL",
            (now, row.post_id),
        )
    return moved == 1
