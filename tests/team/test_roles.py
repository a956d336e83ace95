"""Roles on a real PostgreSQL: checked in one place; an agent cannot approve, members are managed."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.team import approvals, roles
from tests.team.seed import add_agents, add_conversation

pytestmark = pytest.mark.postgres


@pytest.fixture
def conn(team_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(team_db, autocommit=True) as c:
        add_agents(c, ann="agent", pat="approver", sue="supervisor")
        yield c


def held_reply(conn: psycopg.Connection, key: str = "k1", group_key: str | None = None) -> int:
    cid = add_conversation(conn, f"conv-{key}")
    row = conn.execute(
        "INSERT INTO replies (conversation_id, network, text, state, idempotency_key, agent, group_key) "
        "VALUES (%s, 'demo', 'hello', 'awaiting_approval', %s, 'ann', %s) RETURNING id",
        (cid, key, group_key),
    ).fetchone()
    assert row is not None
    return int(row[0])


def state_of(conn: psycopg.Connection, reply_id: int) -> tuple[str, str]:
    row = conn.execute("SELECT state, approved_by FROM replies WHERE id = %s", (reply_id,)).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_an_agent_cannot_approve(conn: psycopg.Connection) -> None:
    reply = held_reply(conn)
    with pytest.raises(roles.NotAllowed, match="ann is an agent: approve needs the approver role"):
        approvals.approve(conn, reply, "ann")
    assert state_of(conn, reply) == ("awaiting_approval", "")
    assert conn.execute("SELECT count(*) FROM audit WHERE action = 'reply.approved'").fetchone() == (0,)


@pytest.mark.parametrize("approver", ["pat", "sue"])
def test_an_approver_or_supervisor_approves_the_whole_thread(conn: psycopg.Connection, approver: str) -> None:
    first = held_reply(conn, "k1", group_key="g")
    second = held_reply(conn, "k2", group_key="g")
    other = held_reply(conn, "k3")
    assert approvals.approve(conn, first, approver) == 2
    assert state_of(conn, first) == state_of(conn, second) == ("queued", approver)
    assert state_of(conn, other) == ("awaiting_approval", "")
    with pytest.raises(UserError, match="is not awaiting approval"):
        approvals.approve(conn, first, approver)


@pytest.mark.parametrize(
    ("agent", "action", "allowed"),
    [
        ("ann", "claim", True),
        ("ann", "approve", False),
        ("ann", "supervise", False),
        ("pat", "approve", True),
        ("pat", "supervise", False),
        ("sue", "supervise", True),
        ("sue", "approve", True),
        ("nobody", "claim", False),
    ],
)
def test_each_role_includes_the_ones_before_it(
    conn: psycopg.Connection, agent: str, action: str, allowed: bool
) -> None:
    if allowed:
        roles.require(conn, agent, action)
    else:
        with pytest.raises(roles.NotAllowed):
            roles.require(conn, agent, action)


def test_only_a_supervisor_manages_members_once_there_is_one(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        roles.set_agent(conn, "sue", "sue", "supervisor")  # the first member bootstraps the team
        with pytest.raises(roles.NotAllowed, match="sue-impostor is not an active member"):
            roles.set_agent(conn, "sue-impostor", "ann", "approver")
        roles.set_agent(conn, "sue", "ann", "agent")
        with pytest.raises(roles.NotAllowed, match="ann is an agent: manage agents needs the supervisor"):
            roles.set_agent(conn, "ann", "ann", "supervisor")  # no promoting oneself
        assert roles.role_of(conn, "ann") == "agent"
        with pytest.raises(UserError, match="unknown role 'boss'"):
            roles.set_agent(conn, "sue", "ann", "boss")
        actions = conn.execute("SELECT agent, action FROM audit ORDER BY id").fetchall()
        assert actions == [("sue", "agent.set"), ("sue", "agent.set")]
