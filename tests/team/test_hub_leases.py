"""Hub leadership on a real PostgreSQL: one leader per account, epochs that fence stale writes, takeovers."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from socialdesk.team import hub_leases
from socialdesk.team.hub_leases import Fenced, Lease

pytestmark = pytest.mark.postgres


@pytest.fixture
def connect(team_db: str) -> Iterator[object]:
    opened: list[psycopg.Connection] = []

    def make() -> psycopg.Connection:
        conn = psycopg.connect(team_db, autocommit=True)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


def lapse(conn: psycopg.Connection, lease: Lease) -> None:
    """Wait (on the server's clock, not a timer) until the lease has ended."""
    while not conn.execute("SELECT %s <= team_now()", (lease.until,)).fetchone()[0]:  # type: ignore[index]
        conn.execute("SELECT pg_sleep(0.01)")


def until(conn: psycopg.Connection, condition: str) -> bool:
    """Wait (up to 10 s, polling the server) until a query says true."""
    for _ in range(1000):
        if conn.execute(condition).fetchone()[0]:  # type: ignore[index]
            return True
        conn.execute("SELECT pg_sleep(0.01)")
    return False


def take_when_freed(conn: psycopg.Connection, account: str, holder: str) -> Lease | None:
    """try_lead until the closed session's lock is gone (the server ends a backend after its client)."""
    for _ in range(1000):
        if (taken := hub_leases.try_lead(conn, account, holder)) is not None:
            return taken
        conn.execute("SELECT pg_sleep(0.01)")
    return None


def write_as(conn: psycopg.Connection, lease: Lease) -> None:
    with conn.transaction():
        hub_leases.fence(conn, lease)
        conn.execute("UPDATE cursors SET cursor = cursor WHERE false")


def test_one_hub_leads_an_account_until_its_session_ends(connect) -> None:  # type: ignore[no-untyped-def]
    a, b = connect(), connect()
    first = hub_leases.try_lead(a, "support", "hub-a")
    assert first is not None and first.epoch == 1
    assert hub_leases.try_lead(b, "support", "hub-b") is None  # the lock is held
    assert hub_leases.try_lead(b, "sales", "hub-b") is not None  # another account is free
    a.close()  # the leader dies: its session's lock goes with it
    second = take_when_freed(b, "support", "hub-b")
    assert second is not None and second.epoch == 2 and second.holder == "hub-b"
    assert hub_leases.leader(b, "support") == second


def test_a_write_from_a_stale_epoch_is_refused(connect) -> None:  # type: ignore[no-untyped-def]
    lock_a, work_a, b = connect(), connect(), connect()
    old = hub_leases.try_lead(lock_a, "support", "hub-a")
    assert old is not None
    write_as(work_a, old)  # the leader writes
    lock_a.close()  # its leadership session is gone, its work connection is not
    new = take_when_freed(b, "support", "hub-b")
    assert new is not None and new.epoch == old.epoch + 1
    with pytest.raises(Fenced, match="hub-a no longer leads support"):
        write_as(work_a, old)
    assert hub_leases.renew(work_a, old) is None  # nor can it renew
    write_as(b, new)


def test_a_lease_that_ran_out_refuses_writes_until_renewed(connect) -> None:  # type: ignore[no-untyped-def]
    a = connect()
    lease = hub_leases.try_lead(a, "support", "hub-a", lease=0.05)
    assert lease is not None
    lapse(a, lease)
    with pytest.raises(Fenced):
        write_as(a, lease)
    renewed = hub_leases.renew(a, lease)  # it still holds the lock: nobody took over
    assert renewed is not None and renewed.epoch == lease.epoch
    write_as(a, renewed)


def test_a_takeover_waits_for_the_old_leaders_write_in_flight(connect) -> None:  # type: ignore[no-untyped-def]
    lock_a, work_a, b, watch = connect(), connect(), connect(), connect()
    old = hub_leases.try_lead(lock_a, "support", "hub-a")
    assert old is not None
    taken: list[Lease | None] = []
    with work_a.transaction():
        hub_leases.fence(work_a, old)  # a write of the old epoch is under way ...
        lock_a.close()
        contender = threading.Thread(target=lambda: taken.append(take_when_freed(b, "support", "hub-b")))
        contender.start()
        # ... and the takeover waits for it, on the lease row's lock
        waiting = "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        assert until(watch, waiting), taken
        assert not taken
    contender.join(10)
    assert taken and taken[0] is not None and taken[0].epoch == old.epoch + 1


def test_a_frozen_holder_is_ended_once_its_lease_has_run_out(connect) -> None:  # type: ignore[no-untyped-def]
    frozen, b = connect(), connect()
    lease = hub_leases.try_lead(frozen, "support", "hub-a", lease=0.2)
    assert lease is not None
    assert hub_leases.try_lead(b, "support", "hub-b") is None  # its lease still runs: no takeover
    lapse(b, lease)  # it never renews (a stopped process keeps its session and its lock)
    taken = hub_leases.try_lead(b, "support", "hub-b")
    assert taken is not None and taken.epoch == lease.epoch + 1
    with pytest.raises(psycopg.OperationalError):
        frozen.execute("SELECT 1")  # its session was ended
