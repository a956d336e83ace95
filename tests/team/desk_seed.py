"""Posts and replies written into the team database as the hub writes them, for the desk's tests."""

from __future__ import annotations

import psycopg

from socialdesk.team import accounts, hub_leases
from tests.team.seed import add_conversation


def add_post(
    conn: psycopg.Connection,
    native_id: str,
    text: str = "my order never came",
    thread_id: str | None = None,
    handle: str = "carla",
    created_at: float = 1_795_000_000.0,
    conversation_id: int | None = None,
    status: str = "new",
) -> tuple[int, int]:
    """One customer post on the demo network, in its conversation (created when new); (conversation, post)."""
    key = thread_id or native_id
    if conversation_id is None:
        found = conn.execute("SELECT id FROM conversations WHERE network = 'demo' AND key = %s", (key,))
        row = found.fetchone()
        if row is None:
            conversation_id = add_conversation(conn, key, status=status, created_at=created_at)
        else:
            conversation_id = int(row[0])
    post = conn.execute(
        "INSERT INTO posts (conversation_id, network, native_id, account, author_native_id, author_handle, "
        "author_name, text, created_at, thread_id, fetched_at) "
        "VALUES (%(c)s, 'demo', %(n)s, 'demo', %(u)s, %(h)s, %(name)s, %(text)s, %(at)s, %(t)s, %(at)s) "
        "RETURNING id",
        {"c": conversation_id, "n": native_id, "u": f"u-{handle}", "h": handle, "name": handle.title()}
        | {"text": text, "at": created_at, "t": thread_id},
    ).fetchone()
    assert post is not None
    conn.execute("UPDATE conversations SET last_post_at = %s WHERE id = %s", (created_at, conversation_id))
    return conversation_id, int(post[0])


def add_reply(
    conn: psycopg.Connection, conversation_id: int, agent: str, text: str, state: str = "queued"
) -> int:
    """A reply another desk put in the shared outbox; its id."""
    row = conn.execute(
        "INSERT INTO replies (conversation_id, network, account, text, state, idempotency_key, agent) "
        "VALUES (%s, 'demo', 'demo', %s, %s, gen_random_uuid()::text, %s) RETURNING id",
        (conversation_id, text, state, agent),
    ).fetchone()
    assert row is not None
    return int(row[0])


def publish_account(
    conn: psycopg.Connection,
    account: str,
    network: str,
    limits: tuple[int, int] | None,
    refused: str = "",
    refused_at: float | None = None,
    holder: str = "hub-a",
) -> bool:
    """What a hub's sync learnt of an account, written as the hub writes it: under a lease it takes."""
    lease = hub_leases.try_lead(conn, account, holder)
    assert lease is not None, f"another session leads {account}"
    return accounts.publish(conn, lease, network, limits, refused, refused_at)
