"""The hub on a real PostgreSQL and a Mastodon fake: each post stored once with the solo desk's triage,
the shared outbox sent exactly once by the account's leader, and stale leaders fenced off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from socialdesk.hub.ledger import HubLedger
from socialdesk.hub.publish import Publisher
from socialdesk.hub.runner import Hub
from socialdesk.models import Post
from socialdesk.services.delivery import Delivery
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store, Triage
from socialdesk.team import hub_leases
from socialdesk.team.hub_leases import Fenced
from tests.outbox import fake_mastodon as fm
from tests.team.hub_network import HubMastodon, queue_reply

pytestmark = pytest.mark.postgres
TRIAGER = Triager()


def triage(posts: Sequence[Post], store: Store) -> list[Triage]:
    return TRIAGER.triage_many(posts, store)


@pytest.fixture
def fake() -> Iterator[HubMastodon]:
    server = HubMastodon()
    yield server
    server.stop()


@pytest.fixture
def db(team_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(team_db, autocommit=True) as conn:
        yield conn


def host_down() -> psycopg.Connection:
    """A hub's connect once its host has died: never again."""
    raise psycopg.OperationalError("connection refused: this hub's host is down")


def make_hub(team_db: str, fake: HubMastodon, tmp_path: Path, name: str, **options: Any) -> Hub:
    return Hub(
        connect=lambda: psycopg.connect(team_db, autocommit=True),
        holder=name,
        sources=[Source("support", fake.connector())],
        resolve=lambda network, account: fake.connector(account),
        store=Store(tmp_path / f"{name}.db"),
        triage=triage,
        poll=0.05,
        say=print,  # shown when a test fails
        **options,
    )


@contextmanager
def running(*hubs: Hub) -> Iterator[dict[str, threading.Event]]:
    stops = {hub.holder: threading.Event() for hub in hubs}
    threads = [threading.Thread(target=hub.run, args=(stops[hub.holder],), daemon=True) for hub in hubs]
    for thread in threads:
        thread.start()
    try:
        yield stops
    finally:
        for stop in stops.values():
            stop.set()
        for thread in threads:
            thread.join(30)


def until(conn: psycopg.Connection, check: Callable[[psycopg.Connection], bool], timeout: float = 60) -> None:
    """Wait on the database (polling it on the server's clock) until `check` holds."""
    deadline = conn.execute("SELECT team_now() + %s", (timeout,)).fetchone()[0]  # type: ignore[index]
    while not check(conn):
        if conn.execute("SELECT team_now() > %s", (deadline,)).fetchone()[0]:  # type: ignore[index]
            raise AssertionError(f"not reached within {timeout} s")
        conn.execute("SELECT pg_sleep(0.02)")


def count(conn: psycopg.Connection, sql: str, *params: object) -> int:
    return int(conn.execute(sql, params).fetchone()[0])  # type: ignore[index]


def states(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT state FROM replies ORDER BY id")]


def test_each_mention_is_stored_once_with_the_solo_desks_triage(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    fake.mention(1, "my order never arrived, this is unacceptable!!")
    fake.mention(2, "thanks, all good now")
    fake.mention(3, "how do I reset my password?")
    first = make_hub(team_db, fake, tmp_path, "hub-a")
    with running(first):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 3, timeout=10)
    assert count(db, "SELECT count(*) FROM conversations") == 3
    assert db.execute("SELECT cursor FROM cursors WHERE source = 'support'").fetchone()[0]  # type: ignore[index]

    # The same posts synced by a solo desk: the team database carries the same triage.
    solo = Store(tmp_path / "solo.db")
    assert sync_source(solo, Source("support", fake.connector()), triage).state == SourceState.OK
    expected = {
        r[0]: r[1:]
        for r in solo.conn.execute(
            "SELECT native_id, priority, intent, sentiment_label, actionable FROM posts"
        )
    }
    shared = {
        r[0]: r[1:]
        for r in db.execute("SELECT native_id, priority, intent, sentiment_label, actionable FROM posts")
    }
    assert shared == {k: (p, i, s, bool(a)) for k, (p, i, s, a) in expected.items()}
    due = dict(solo.conn.execute("SELECT native_id, due_at FROM posts"))
    for native_id, conversation_due in db.execute(
        "SELECT p.native_id, c.due_at FROM posts p JOIN conversations c ON c.id = p.conversation_id"
    ):
        assert conversation_due is not None and abs(conversation_due - due[native_id]) < 60

    # Another hub, with a cache of its own, goes on from the team's cursor: only the new mention.
    fake.mention(4, "where is my parcel?")
    second = make_hub(team_db, fake, tmp_path, "hub-b")
    with running(second):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 4)
    assert count(db, "SELECT count(DISTINCT (network, native_id)) FROM posts") == 4
    assert count(db, "SELECT count(*) FROM posts") == 4
    assert second.store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 1


def test_a_page_synced_again_changes_nothing(
    fake: HubMastodon, db: psycopg.Connection, tmp_path: Path
) -> None:
    for n in range(5):
        fake.mention(n + 1)
    lease = hub_leases.try_lead(db, "support", "hub-a")
    assert lease is not None
    store, source = Store(tmp_path / "hub.db"), Source("support", fake.connector())
    for _ in range(2):  # the second time from scratch: the hub's cache lost, the cursor reset
        publisher = Publisher(db, store, source, lease)
        store.set_cursor("support", None)
        assert sync_source(store, source, triage, on_page=publisher).state == SourceState.OK
        if _ == 0:
            seq = count(db, "SELECT max(change_seq) FROM posts")
            assert publisher.published.inserted == 5
        store.close()
        (tmp_path / "hub.db").unlink()
        store = Store(tmp_path / "hub.db")
    assert publisher.published.inserted == 0 and publisher.published.updated == 0
    assert count(db, "SELECT count(*) FROM posts") == 5
    assert count(db, "SELECT max(change_seq) FROM posts") == seq  # nothing came round the feed again


def test_a_page_from_a_hub_that_lost_the_lead_is_refused_whole(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    fake.mention(1)
    with psycopg.connect(team_db, autocommit=True) as old_session:
        stale = hub_leases.try_lead(old_session, "support", "hub-a")
        assert stale is not None
    with psycopg.connect(team_db, autocommit=True) as other:
        while hub_leases.try_lead(other, "support", "hub-b") is None:  # once the old session has ended
            other.execute("SELECT pg_sleep(0.01)")
        store, source = Store(tmp_path / "hub-a.db"), Source("support", fake.connector())
        report = sync_source(store, source, triage, on_page=Publisher(db, store, source, stale))
    assert report.state == SourceState.ERROR and "hub-a no longer leads support" in report.message
    assert count(db, "SELECT count(*) FROM posts") == 0
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0  # rolled back here too
    assert store.get_cursor("support") is None


def test_the_leader_sends_each_queued_reply_once(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    mentions = [fake.mention(n + 1) for n in range(3)]
    hub = make_hub(team_db, fake, tmp_path, "hub-a")
    with running(hub):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 3)
        ids = [queue_reply(db, m["id"], f"answer {i}") for i, m in enumerate(mentions)]
        until(db, lambda c: states(c) == ["sent"] * 3)
    assert fake.texts() == ["answer 0", "answer 1", "answer 2"]
    assert count(db, "SELECT count(*) FROM posts WHERE is_ours") == 3
    assert count(db, "SELECT count(*) FROM conversations WHERE first_response_at IS NOT NULL") == 3
    hubs = [r[0] for r in db.execute("SELECT detail->>'hub' FROM audit WHERE action = 'reply.sent'")]
    assert hubs == ["hub-a"] * 3
    assert [r[0] for r in db.execute("SELECT sending_hub FROM replies ORDER BY id")] == ["hub-a"] * len(ids)


def test_two_hubs_racing_send_each_reply_once(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    mentions = [fake.mention(n + 1) for n in range(6)]
    a, b = (make_hub(team_db, fake, tmp_path, name) for name in ("hub-a", "hub-b"))
    with running(a, b):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 6)
        for i, m in enumerate(mentions):
            queue_reply(db, m["id"], f"answer {i}")
        until(db, lambda c: states(c) == ["sent"] * 6)
    assert fake.texts() == [f"answer {i}" for i in range(6)]
    assert count(db, "SELECT count(DISTINCT detail->>'hub') FROM audit WHERE action = 'reply.sent'") == 1


@pytest.mark.parametrize("server", ["mastodon", "gotosocial"])
def test_a_leader_cut_off_mid_send_is_taken_over_without_a_second_copy(
    server: str, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    fake = HubMastodon(honour_keys=server == "mastodon")
    try:
        mentions = [fake.mention(n + 1) for n in range(3)]
        a = make_hub(team_db, fake, tmp_path, "hub-a", reconcile_delay=0.2)
        b = make_hub(team_db, fake, tmp_path, "hub-b", reconcile_delay=0.2)
        with running(a) as stops:
            until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 3)
            fake.sender.holds.append("after")  # the first reply is created; its answer is held
            for i, m in enumerate(mentions):
                queue_reply(db, m["id"], f"answer {i}")
            assert fake.sender.held.wait(30)
            # The database loses hub-a (both its sessions end, as when its host dies) mid-send; a dead
            # host does not connect again (else hub-a, reconnecting within its 50 ms poll, could take
            # the lead back before hub-b has started, as it did on a loaded machine).
            a.connect = host_down
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database()"
            )
            with running(b):
                until(db, lambda c: count(c, "SELECT count(*) FROM hub_leases WHERE holder = 'hub-b'") == 1)
                fake.sender.release()  # hub-a's request ends; its record of it is refused
                until(db, lambda c: states(c) == ["sent"] * 3)
            stops["hub-a"].set()
        assert fake.texts() == ["answer 0", "answer 1", "answer 2"]
        reconciled = count(db, "SELECT count(*) FROM audit WHERE action = 'reply.reconciled'")
        assert count(db, "SELECT count(*) FROM audit WHERE action = 'reply.recovered'") == 1
        assert reconciled == 1
    finally:
        fake.stop()


def test_a_send_from_a_stale_epoch_is_refused_before_the_request(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    mention = fake.mention(1)
    hub = make_hub(team_db, fake, tmp_path, "hub-a")
    with running(hub):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 1)
    with psycopg.connect(team_db, autocommit=True) as old_session:
        stale = hub_leases.try_lead(old_session, "support", "hub-a")
        assert stale is not None
    with psycopg.connect(team_db, autocommit=True) as other:
        while hub_leases.try_lead(other, "support", "hub-b") is None:
            other.execute("SELECT pg_sleep(0.01)")
        queue_reply(db, mention["id"], "answer")
        delivery = Delivery(HubLedger(db, stale), lambda network, account: fake.connector(account))
        with pytest.raises(Fenced):
            delivery.process_due()
    assert fake.sender.posts_received == 0
    assert states(db) == ["queued"]


def test_the_leader_goes_on_after_its_work_connection_drops(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    mention = fake.mention(1)
    hub = make_hub(team_db, fake, tmp_path, "hub-a")
    # Each session is named after the hub's thread that opened it: the keeper's, or the worker's.
    hub.connect = lambda: psycopg.connect(
        team_db, autocommit=True, application_name=threading.current_thread().name[:60]
    )
    with running(hub):
        until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 1)
        db.execute(  # the worker's session ends (a proxy restart, an idle timeout), not the keeper's
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'hub-keeper%%'"
        )
        queue_reply(db, mention["id"], "answer")
        until(db, lambda c: states(c) == ["sent"])
    assert fake.texts() == ["answer"]
    assert count(db, "SELECT epoch FROM hub_leases WHERE account = 'support'") == 1  # it kept the lead


class Skew:
    """The hubs' clock: the real one, moved on by the test past delivery's reconcile delay."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.mark.parametrize(
    "fault",
    [fm.DROP_AFTER_CREATE, fm.ERROR_AFTER_CREATE, fm.DROP_BEFORE_CREATE, fm.ERROR_BEFORE_CREATE],
)
def test_two_hubs_under_a_faulty_send_and_a_takeover_post_each_reply_once(
    fault: str, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    fake = HubMastodon(honour_keys=False)  # GoToSocial: only a lookup can tell a resend is safe
    clock = Skew()
    try:
        mentions = [fake.mention(n + 1) for n in range(3)]
        a, b = (make_hub(team_db, fake, tmp_path, name, clock=clock) for name in ("hub-a", "hub-b"))
        with running(a, b) as stops:
            until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 3)
            leader = str(db.execute("SELECT holder FROM hub_leases").fetchone()[0])  # type: ignore[index]
            fake.sender.script.append(fault)
            for i, m in enumerate(mentions):
                queue_reply(db, m["id"], f"answer {i}")
            until(db, lambda c: states(c)[0] in ("unknown", "waiting"))  # the fault struck
            stops[leader].set()  # the leader goes (a clean stop: the standby leads at once) ...
            until(db, lambda c: count(c, "SELECT count(*) FROM hub_leases WHERE holder <> %s", leader) == 1)
            clock.offset = 31.0  # ... and the uncertain reply comes due for its check
            until(db, lambda c: states(c) == ["sent"] * 3)
        assert fake.texts() == ["answer 0", "answer 1", "answer 2"]
    finally:
        fake.stop()


def test_a_hub_stopped_mid_send_records_the_send_before_it_gives_the_lead_up(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    mention = fake.mention(1)
    hub = make_hub(team_db, fake, tmp_path, "hub-a")
    stop = threading.Event()
    worker = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    worker.start()
    until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 1)
    fake.sender.holds.append("after")
    queue_reply(db, mention["id"], "answer")
    assert fake.sender.held.wait(30)
    lease = "SELECT lease_until FROM hub_leases WHERE account = 'support'"
    before = db.execute(lease).fetchone()
    stop.set()  # Ctrl-C while the request is out; the keeper's next round comes (renewing, or giving up)
    until(db, lambda c: c.execute(lease).fetchone() != before)
    fake.sender.release()
    worker.join(30)
    assert states(db) == ["sent"]  # recorded under its lease, not left `sending` for the next leader
    assert count(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0  # then given up
