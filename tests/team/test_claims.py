"""Claiming on a real PostgreSQL: queue order, never two holders, leases that lapse, release on resolve."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest

from socialdesk.team import claims
from socialdesk.team.roles import NotAllowed
from tests.team.seed import add_agents, add_conversation, lapse

pytestmark = pytest.mark.postgres


@pytest.fixture
def conn(team_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(team_db, autocommit=True) as c:
        add_agents(c, ann="agent", bob="agent", sue="supervisor")
        yield c


def test_claim_next_takes_the_queue_in_order(conn: psycopg.Connection) -> None:
    low = add_conversation(conn, "low", priority=0, created_at=1.0)
    old = add_conversation(conn, "old", priority=1, created_at=1.0)
    due_soon = add_conversation(conn, "due-soon", priority=1, created_at=5.0, due_at=100.0)
    urgent = add_conversation(conn, "urgent", priority=3, created_at=9.0)
    add_conversation(conn, "done", priority=3, status="resolved")
    add_conversation(conn, "snoozed", priority=3, status="snoozed")
    taken = [claims.claim_next(conn, "ann") for _ in range(5)]
    assert [c.conversation_id if c else None for c in taken] == [urgent, due_soon, old, low, None]
    state = conn.execute("SELECT assigned_to, status FROM conversations WHERE id = %s", (old,)).fetchone()
    assert state == ("ann", "open")


def test_two_agents_never_hold_one_conversation_under_concurrent_claims(team_db: str) -> None:
    """Many desks claim at once, each on its own connection: every conversation goes to exactly one."""
    desks, conversations = 24, 120
    with psycopg.connect(team_db, autocommit=True) as setup:
        add_agents(setup, **{f"agent{i}": "agent" for i in range(desks)})
        for n in range(conversations):
            add_conversation(setup, f"c{n}", priority=n % 4, created_at=float(n))
    won: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(desks)

    def desk(name: str) -> None:
        try:
            with psycopg.connect(team_db, autocommit=True) as c:
                start.wait()
                while (got := claims.claim_next(c, name)) is not None:
                    with lock:
                        won.append((got.conversation_id, name))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(f"agent{i}",)) for i in range(desks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    per_conversation = Counter(cid for cid, _ in won)
    assert len(per_conversation) == conversations and set(per_conversation.values()) == {1}
    assert len({name for _, name in won}) > 1  # the desks really raced
    with psycopg.connect(team_db, autocommit=True) as check:
        holders = dict(check.execute("SELECT conversation_id, agent FROM claims").fetchall())
        assert holders == dict(won)
        audited = check.execute("SELECT count(*) FROM audit WHERE action = 'claim'").fetchone()
        assert audited == (conversations,)


def test_a_held_conversation_is_refused_to_another_agent_with_who_holds_it(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c")
    claims.claim(conn, cid, "ann")
    with pytest.raises(claims.ClaimConflict, match=rf"ann holds conversation {cid} \(lease ends in \d+ s\)"):
        claims.claim(conn, cid, "bob")
    assert claims.claim_next(conn, "bob") is None
    again = claims.claim(conn, cid, "ann")  # the holder renews
    assert again.agent == "ann"


def test_a_lease_lapses_when_the_desk_vanishes(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c")
    held = claims.claim_next(conn, "ann", lease=0.05)
    assert held is not None and held.conversation_id == cid
    assert claims.claim_next(conn, "bob") is None  # still live
    lapse(conn, cid)  # ann's desk never renewed
    taken = claims.claim_next(conn, "bob")
    assert taken is not None and (taken.conversation_id, taken.taken_over_from) == (cid, "ann")
    assert claims.renew(conn, cid, "ann") is None  # ann's desk learns it lost the claim
    assert claims.renew(conn, cid, "bob") is not None
    detail = conn.execute(
        "SELECT detail FROM audit WHERE action = 'claim' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert detail is not None and detail[0]["taken_over_from"] == "ann"


def test_an_assigned_conversation_waits_for_its_assignee(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c", assigned_to="ann")
    assert claims.claim_next(conn, "bob") is None
    got = claims.claim_next(conn, "ann")
    assert got is not None and got.conversation_id == cid


def test_resolving_releases_the_claim(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c")
    claims.claim_next(conn, "ann")
    claims.resolve(conn, cid, "ann")
    assert conn.execute("SELECT status FROM conversations WHERE id = %s", (cid,)).fetchone() == ("resolved",)
    claim = conn.execute("SELECT agent, lease_until FROM claims WHERE conversation_id = %s", (cid,))
    assert claim.fetchone() == ("", 0.0)
    assert claims.claim_next(conn, "bob") is None  # resolved is not in the queue
    conn.execute("UPDATE conversations SET status = 'open', assigned_to = '' WHERE id = %s", (cid,))
    reopened = claims.claim_next(conn, "bob")
    assert reopened is not None and reopened.conversation_id == cid


def test_nobody_resolves_a_conversation_someone_else_holds(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c")
    claims.claim_next(conn, "ann")
    with pytest.raises(claims.ClaimConflict, match="ann holds"):
        claims.resolve(conn, cid, "bob")
    assert conn.execute("SELECT status FROM conversations WHERE id = %s", (cid,)).fetchone() == ("open",)


def test_release_hands_it_back_to_the_queue(conn: psycopg.Connection) -> None:
    cid = add_conversation(conn, "c")
    claims.claim_next(conn, "ann")
    assert claims.release(conn, cid, "bob") is False
    assert claims.release(conn, cid, "ann") is True
    conn.execute("UPDATE conversations SET assigned_to = '' WHERE id = %s", (cid,))
    got = claims.claim_next(conn, "bob")
    assert got is not None and got.conversation_id == cid


def test_only_team_members_claim(conn: psycopg.Connection) -> None:
    add_conversation(conn, "c")
    conn.execute("UPDATE agents SET active = false WHERE name = 'bob'")
    with pytest.raises(NotAllowed, match="bob is not an active member"):
        claims.claim_next(conn, "bob")
    with pytest.raises(NotAllowed, match="mallory is not an active member"):
        claims.claim_next(conn, "mallory")


def test_claim_next_reads_the_claimable_queue_from_its_index(conn: psycopg.Connection) -> None:
    """Not a timing: the plan of team_claim_next's query (auto_explain sends it as a notice).

    Sorting every new and open conversation on each claim grows with the queue; the index does not.
    """
    conn.execute(
        "INSERT INTO conversations (network, key, priority, status, created_at) "
        "SELECT 'demo', 'k' || g, g % 4, CASE WHEN g % 3 = 0 THEN 'resolved' ELSE 'new' END, g "
        "FROM generate_series(1, 5000) g"
    )
    conn.execute("ANALYZE conversations")
    plans: list[str] = []
    conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
        conn.execute(f"SET auto_explain.{setting}")
    assert claims.claim_next(conn, "ann") is not None
    queue = next(p for p in plans if "SKIP LOCKED" in p and "assigned_to = ''" in p)
    assert "conversations_unassigned" in queue and "Sort" not in queue, queue


def test_claim_next_does_not_walk_past_what_colleagues_hold(conn: psycopg.Connection, team_db: str) -> None:
    """Not a timing: rows read. Held and assigned conversations stay open (in the queue's status), and
    a claim that read past each of them would cost as much as the team holds (40 ms for 5,000 held).
    """
    conn.execute(
        "INSERT INTO conversations (network, key, priority, status, assigned_to, created_at) "
        "SELECT 'demo', 'held' || g, 3, 'open', CASE WHEN g % 2 = 0 THEN 'bob' ELSE 'sue' END, g "
        "FROM generate_series(1, 2000) g"
    )
    conn.execute(
        "INSERT INTO claims (conversation_id, agent, lease_until) "
        "SELECT id, assigned_to, team_now() + 3600 FROM conversations WHERE key LIKE 'held%' AND id % 4 <> 0"
    )  # a quarter only assigned (waiting on the customer), the rest held live
    free = add_conversation(conn, "free", priority=0)
    conn.execute("ANALYZE")
    # a new session: its statistics count only what the claim read
    with psycopg.connect(team_db, autocommit=True) as desk, desk.transaction():
        got = claims.claim_next(desk, "ann")
        row = desk.execute(
            "SELECT sum(seq_tup_read + coalesce(idx_tup_fetch, 0)) FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('conversations', 'claims')"
        ).fetchone()
    assert got is not None and got.conversation_id == free
    assert row is not None and row[0] < 50, f"claim-next read {row[0]} rows"


def test_claim_next_takes_a_lapsed_claim_and_its_own_assignments_in_queue_order(
    conn: psycopg.Connection,
) -> None:
    mine = add_conversation(conn, "mine", priority=1, created_at=3.0, assigned_to="ann")
    lapsed = add_conversation(conn, "lapsed", priority=2, created_at=2.0)
    free = add_conversation(conn, "free", priority=1, created_at=1.0)
    bobs = add_conversation(conn, "bobs", priority=3, assigned_to="bob")  # waits for bob
    held = claims.claim(conn, lapsed, "bob", lease=0.05)
    lapse(conn, held.conversation_id)
    taken = [claims.claim_next(conn, "ann") for _ in range(4)]
    assert [c.conversation_id if c else None for c in taken] == [lapsed, free, mine, None]
    assert taken[0] is not None and taken[0].taken_over_from == "bob"
    assert bobs not in [c.conversation_id for c in taken if c]
