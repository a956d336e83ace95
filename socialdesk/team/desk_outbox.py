"""A desk's side of the shared outbox: replies handed over once, and the agent's decisions on them.

A desk writes a reply in its own cache first (offline first); handing it over inserts it here under
the idempotency key it was written with, so a hand-over repeated after a crash or a lost answer finds
the row it made and never makes a second. Every decision names the states it may move from, as the
hub's moves do (team/hub_outbox.py), so whichever of an undo and the hub's claim commits first wins and
the other changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from socialdesk.team import audit

if TYPE_CHECKING:
    import psycopg


class TeamPost(msgspec.Struct, frozen=True):
    """The team's copy of a post a desk answers: its ids there and the account that answers it."""

    post_id: int
    conversation_id: int
    account: str


def find_post(conn: psycopg.Connection, network: str, native_id: str) -> TeamPost | None:
    """The team's row of a post, by its network's id (None: the hub never stored it)."""
    row = conn.execute(
        "SELECT id, conversation_id, account FROM posts WHERE network = %s AND native_id = %s",
        (network, native_id),
    ).fetchone()
    return None if row is None else TeamPost(int(row[0]), int(row[1]), str(row[2]))


def hand_over(
    conn: psycopg.Connection, agent: str, post: TeamPost, parts: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Put a reply (all the parts of a thread at once) in the shared outbox; its rows' ids, in order.

    Args:
        parts: each part's text, dm, state, idempotency_key, group_key, part, parts, send_after
            (server clock) and scheduled, as the desk wrote them.

    A part already handed over (its key is there) is left as it is and its id returned.
    """
    keys = [str(p["idempotency_key"]) for p in parts]
    with conn.transaction():
        for part in parts:
            conn.execute(
                "INSERT INTO replies (post_id, conversation_id, network, account, text, dm, state, "
                "idempotency_key, agent, group_key, part, parts, send_after, scheduled) "
                "SELECT %(post)s, %(conversation)s, network, %(account)s, %(text)s, %(dm)s, %(state)s, "
                "%(idempotency_key)s, %(agent)s, %(group_key)s, %(part)s, %(parts)s, %(send_after)s, "
                "%(scheduled)s FROM posts WHERE id = %(post)s "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                {
                    **part,
                    "post": post.post_id,
                    "conversation": post.conversation_id,
                    "account": post.account,
                    "agent": agent,
                    "dm": bool(part["dm"]),
                    "scheduled": bool(part["scheduled"]),
                },
            )
        found: dict[str, int] = {
            str(key): int(reply_id)
            for key, reply_id in conn.execute(
                "SELECT idempotency_key, id FROM replies WHERE idempotency_key = ANY(%s)", (keys,)
            )
        }
        audit.record(
            conn,
            agent,
            "reply.queued",
            post.conversation_id,
            post.post_id,
            replies=[found[k] for k in keys],
            state=str(parts[0]["state"]),
        )
    return [found[k] for k in keys]


def undo(conn: psycopg.Connection, ids: Sequence[int], agent: str) -> bool:
    """Take back a reply (every part of a thread) still queued in its undo window; False: too late.

    All or none: when the hub already took one part, nothing is taken back and the thread goes on.
    """
    try:
        with conn.transaction():
            moved = conn.execute(
                "UPDATE replies SET state = 'discarded', updated_at = team_now() "
                "WHERE id = ANY(%s) AND state = 'queued' AND send_after > team_now()",
                (list(ids),),
            ).rowcount
            if moved != len(ids):
                raise _TooLate  # leaving the block rolls the discards back
            audit.record(conn, agent, "reply.undone", None, None, replies=list(ids))
    except _TooLate:
        return False
    return True


class _TooLate(Exception):
    """Part of the reply was no longer queued in its window (the hub took it)."""


def discard(conn: psycopg.Connection, ids: Sequence[int], agent: str, starts: Sequence[str]) -> int:
    """Give up on replies in one of `starts` (the states a discard may leave); how many were."""
    with conn.transaction():
        moved = conn.execute(
            "UPDATE replies SET state = 'discarded', updated_at = team_now() WHERE id = ANY(%s) "
            "AND state = ANY(%s)",
            (list(ids), list(starts)),
        ).rowcount
        audit.record(conn, agent, "reply.discarded", None, None, replies=list(ids))
    return moved


def retry(conn: psycopg.Connection, ids: Sequence[int], agent: str, starts: Sequence[str]) -> int:
    """Try replies in one of `starts` (failed, waiting, needs-auth, unknown) again now; how many moved.

    As on a desk (store/reply_moves.requeue): an unknown reply still being checked on the network is
    checked again, never resent blindly; one held for the agent (no time set) is queued: they looked.
    """
    with conn.transaction():
        moved = conn.execute(
            "UPDATE replies SET state = CASE WHEN state = 'unknown' AND next_attempt_at IS NOT NULL "
            "THEN 'unknown' ELSE 'queued' END, send_after = team_now(), next_attempt_at = team_now(), "
            "error = '', updated_at = team_now() WHERE id = ANY(%s) AND state = ANY(%s)",
            (list(ids), list(starts)),
        ).rowcount
        audit.record(conn, agent, "reply.retried", None, None, replies=list(ids), manual=True)
    return moved
