"""The hub's side of the shared outbox: an account's replies read, and moved only under the lease.

Every move is one transaction that starts with the lease's fence (team/hub_leases.py) and names the
states the reply may move from, so a hub that no longer leads the account changes nothing, and a
move the outbox's table of moves does not allow (the caller passes its sources) finds no row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from socialdesk.team import audit
from socialdesk.team.hub_leases import Lease, fence

if TYPE_CHECKING:
    import psycopg

OUTBOX_AGENT = "outbox"  # the audit log's name for delivery's decisions, as on a desk
_POST = (
    "id, network, native_id, account, author_native_id, author_handle, author_name, text, created_at, url, "
    "in_reply_to, thread_id, kind, lang, is_ours, content_warning, raw, conversation_id"
)


def _dicts(
    conn: psycopg.Connection, query: str, params: Sequence[Any] | Mapping[str, Any]
) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(query, params).fetchall())


def of_account(
    conn: psycopg.Connection, account: str, states: Sequence[str], columns: str
) -> list[dict[str, Any]]:
    """The account's replies in `states`, oldest first."""
    return _dicts(
        conn,
        f"SELECT {columns} FROM replies WHERE account = %s AND state = ANY(%s) ORDER BY id",
        (account, list(states)),
    )


def one(conn: psycopg.Connection, reply_id: int, columns: str) -> dict[str, Any] | None:
    """One reply by id."""
    found = _dicts(conn, f"SELECT {columns} FROM replies WHERE id = %s", (reply_id,))
    return found[0] if found else None


def part(conn: psycopg.Connection, group_key: str, number: int, columns: str) -> dict[str, Any] | None:
    """Part `number` of a thread of replies."""
    found = _dicts(
        conn, f"SELECT {columns} FROM replies WHERE group_key = %s AND part = %s", (group_key, number)
    )
    return found[0] if found else None


def next_due(
    conn: psycopg.Connection, account: str, due: Mapping[str, tuple[str, float | None]]
) -> float | None:
    """When the account's next reply is due; `due` maps a state to its time column and what NULL means."""
    cases = " ".join(
        f"WHEN '{state}' THEN {column}"
        if null is None
        else f"WHEN '{state}' THEN coalesce({column}, {null!r})"
        for state, (column, null) in due.items()
    )
    row = conn.execute(
        f"SELECT min(CASE state {cases} END) FROM replies WHERE account = %s AND state = ANY(%s)",
        (account, list(due)),
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def post(conn: psycopg.Connection, post_id: int) -> dict[str, Any] | None:
    """The post a reply answers, with its raw payload (JSON text) and conversation."""
    found = _dicts(conn, f"SELECT {_POST} FROM posts WHERE id = %s", (post_id,))
    return found[0] if found else None


def claim(conn: psycopg.Connection, lease: Lease, reply_id: int, start: str, now: float) -> bool:
    """Mark a reply `sending` by this hub's epoch (one more attempt), if still in `start`; committed."""
    with conn.transaction():
        fence(conn, lease)
        moved = conn.execute(
            "UPDATE replies SET state = 'sending', updated_at = %s, attempts = attempts + 1, "
            "first_attempt_at = coalesce(first_attempt_at, %s), sending_hub = %s, sending_epoch = %s "
            "WHERE id = %s AND account = %s AND state = %s",
            (now, now, lease.holder, lease.epoch, reply_id, lease.account, start),
        ).rowcount
    return moved == 1


def settle(
    conn: psycopg.Connection,
    lease: Lease,
    reply_id: int,
    to: str,
    starts: Sequence[str],
    now: float,
    error: str,
    next_at: float | None,
) -> bool:
    """Record how an attempt ended short of sent (from one of `starts`), audited; False: it had moved on."""
    with conn.transaction():
        fence(conn, lease)
        row = conn.execute(
            "UPDATE replies SET state = %s, updated_at = %s, error = %s, next_attempt_at = %s "
            "WHERE id = %s AND account = %s AND state = ANY(%s) RETURNING conversation_id, post_id",
            (to, now, error, next_at, reply_id, lease.account, list(starts)),
        ).fetchone()
        if row is None:
            return False
        audit.record(
            conn, OUTBOX_AGENT, f"reply.{to}", row[0], row[1], reply=reply_id, error=error, **_by(lease)
        )
    return True


def mark_sent(
    conn: psycopg.Connection,
    lease: Lease,
    reply_id: int,
    starts: Sequence[str],
    now: float,
    remote: Mapping[str, Any],
    own: Mapping[str, Any] | None,
) -> bool:
    """Record the network's copy of a reply, our post in its conversation, and the first response.

    Args:
        remote: remote_id, remote_url and remote_refs (JSON text).
        own: our reply as a posts row (network, native_id, ... as team.hub_posts stores them), or None.
    """
    with conn.transaction():
        fence(conn, lease)
        row = conn.execute(
            "UPDATE replies r SET state = 'sent', updated_at = %(now)s, remote_id = %(remote_id)s, "
            "remote_url = %(remote_url)s, remote_refs = %(remote_refs)s, error = '', next_attempt_at = NULL "
            "WHERE id = %(id)s AND account = %(account)s AND state = ANY(%(starts)s) "
            "RETURNING coalesce(r.conversation_id, "
            "(SELECT p.conversation_id FROM posts p WHERE p.id = r.post_id)), r.post_id",
            {**remote, "now": now, "id": reply_id, "account": lease.account, "starts": list(starts)},
        ).fetchone()
        if row is None:
            return False
        conversation, post_id = row
        if conversation is not None:
            if own is not None:
                columns = ", ".join(own)
                values = ", ".join(f"%({c})s" for c in own)
                conn.execute(
                    f"INSERT INTO posts (conversation_id, {columns}) VALUES (%(conversation)s, {values}) "
                    "ON CONFLICT (network, native_id) DO NOTHING",
                    {**own, "conversation": conversation},
                )
            conn.execute(
                "UPDATE conversations SET first_response_at = coalesce(first_response_at, %s), "
                "last_post_at = greatest(last_post_at, %s), updated_at = team_now(), updated_by = %s "
                "WHERE id = %s",
                (now, now, OUTBOX_AGENT, conversation),
            )
        audit.record(
            conn,
            OUTBOX_AGENT,
            "reply.sent",
            conversation,
            post_id,
            reply=reply_id,
            remote_id=remote["remote_id"],
            **_by(lease),
        )
    return True


def recover(conn: psycopg.Connection, lease: Lease, now: float, next_at: float, error: str) -> int:
    """Replies of the account left `sending` by an earlier epoch (a hub that died or lost the lead)
    become unknown, to be checked on the network at `next_at`; returns how many."""
    with conn.transaction():
        fence(conn, lease)
        moved = conn.execute(
            "UPDATE replies SET state = 'unknown', updated_at = %s, next_attempt_at = %s, error = %s "
            "WHERE account = %s AND state = 'sending' AND sending_epoch < %s",
            (now, next_at, error, lease.account, lease.epoch),
        ).rowcount
        if moved:
            audit.record(conn, OUTBOX_AGENT, "reply.recovered", count=moved, **_by(lease))
    return moved


def record(conn: psycopg.Connection, lease: Lease, action: str, post_id: int | None, **detail: Any) -> None:
    """Append one of delivery's decisions (reconciled, absent) to the audit log."""
    audit.record(conn, OUTBOX_AGENT, action, None, post_id, **detail, **_by(lease))


def _by(lease: Lease) -> dict[str, Any]:
    return {"hub": lease.holder, "epoch": lease.epoch}
