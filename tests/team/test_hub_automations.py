"""The playbook's automations run by the hub, once for the team, on the real PostgreSQL: what they change
reaches every desk through the change feed, the shared outbox counts as an answer, and two hubs racing
fire each once."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.hub import automations as hub_automations
from socialdesk.hub.runner import Hub
from socialdesk.services import team_replica
from socialdesk.services.automations import Automation, parse_automation
from socialdesk.store import Store
from socialdesk.team import automations as ta
from socialdesk.team import conversations, hub_leases, hub_posts
from tests.team.desk_seed import add_post, add_reply
from tests.team.hub_network import HubMastodon
from tests.team.seed import add_agents
from tests.team.test_hub_failover import start_hub, workspace

pytestmark = pytest.mark.postgres
ROLES = ("supervisor", "legal")


def automation(**raw: Any) -> Automation:
    return parse_automation(raw, 0, "pb.toml", ROLES)


URGENT = automation(
    name="urgent unanswered", when="unanswered", after="15m", priority=3, escalate="supervisor", notify="desk"
)
CLOSE = automation(name="close quiet", when="resolved", after="3d", close=True)


@pytest.fixture
def db(team_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(team_db, autocommit=True) as conn:
        add_agents(conn, ann="agent", sue="supervisor")
        yield conn


def until(conn: psycopg.Connection, check: Callable[[], bool], timeout: float = 60) -> None:
    """Wait (polling the database on the server's clock) until `check` holds."""
    deadline = conn.execute("SELECT team_now() + %s", (timeout,)).fetchone()[0]  # type: ignore[index]
    while not check():
        if conn.execute("SELECT team_now() > %s", (deadline,)).fetchone()[0]:  # type: ignore[index]
            raise AssertionError(f"not reached within {timeout} s")
        conn.execute("SELECT pg_sleep(0.02)")


def one(conn: psycopg.Connection, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else tuple(row)


def conversation(conn: psycopg.Connection, conversation_id: int) -> tuple[str, int, list[str]]:
    return one(conn, "SELECT status, priority, tags FROM conversations WHERE id = %s", conversation_id)


def make_hub(team_db: str, tmp_path: Path, name: str, automations: list[Automation]) -> Hub:
    """A hub that leads no account: what it does here is its automation passes."""
    return Hub(
        connect=lambda: psycopg.connect(team_db, autocommit=True),
        holder=name,
        sources=[],
        resolve=lambda network, account: None,  # type: ignore[arg-type,return-value]
        store=Store(tmp_path / f"{name}.db"),
        poll=0.05,
        say=print,  # shown when a test fails
        automations=lambda: automations,
    )


def test_the_hub_escalates_an_unanswered_conversation_once_and_a_desk_sees_it(
    db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    now = time.time()
    waiting, post = add_post(db, "p1", "my order never came", created_at=now - 3600)
    fresh, _ = add_post(db, "p2", "hello?", created_at=now - 60)  # waited a minute: not yet
    desk = Store(tmp_path / "ann.db")
    team_replica.pull(db, desk)
    hub = make_hub(team_db, tmp_path, "hub-a", [URGENT])
    stop = threading.Event()
    runner = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    runner.start()
    try:
        until(db, lambda: one(db, "SELECT count(*) FROM audit WHERE action = 'automation'") == 1)
        hub._automated_at = None  # a second pass at once: nothing more fires
        until(db, lambda: hub._automated_at is not None)
    finally:
        stop.set()
        runner.join(30)
    assert conversation(db, waiting) == ("escalated", 3, ["escalated:supervisor"])
    assert conversation(db, fresh) == ("new", 1, [])
    assert one(db, "SELECT count(*) FROM audit WHERE action = 'automation'") == 1
    did = "priority 3; escalated to supervisor; notify desk"
    assert one(
        db, "SELECT agent, conversation_id, post_id, detail->>'did' FROM audit WHERE action = 'automation'"
    ) == ("automation", waiting, post, did)
    assert db.execute("SELECT agent, text FROM notes").fetchall() == [
        ("automation", "[escalated to supervisor] automation 'urgent unanswered': no reply in 15m")
    ]
    assert one(db, "SELECT automation, instance, hub, did FROM automation_runs") == (
        "urgent unanswered",
        str(post),
        "hub-a",
        did,
    )

    # The desk's cache follows the change feed: status, priority, tag and note are there.
    team_replica.pull(db, desk)
    assert desk.conn.execute("SELECT status, priority FROM posts WHERE native_id = 'p1'").fetchone() == (
        "escalated",
        3,
    )
    tags = desk.conn.execute(
        "SELECT tag FROM post_tags t JOIN posts p ON p.id = t.post_id WHERE native_id = 'p1'"
    )
    assert [r[0] for r in tags] == ["escalated:supervisor"]
    notes = desk.conn.execute("SELECT n.agent, n.text FROM notes n JOIN posts p ON p.id = n.post_id")
    assert [tuple(r) for r in notes] == [
        ("automation", "[escalated to supervisor] automation 'urgent unanswered': no reply in 15m")
    ]
    assert desk.conn.execute("SELECT status FROM posts WHERE native_id = 'p2'").fetchone() == ("new",)
    # The notice it raised is the team's: this desk and a colleague's (read for the first time) hold it,
    # on the post it fired for, once (the second pass raised none).
    assert one(db, "SELECT count(*) FROM notices") == 1
    bob = Store(tmp_path / "bob.db")
    team_replica.pull(db, bob)
    for cache in (desk, bob):
        noticed = cache.conn.execute(
            "SELECT n.audience, n.origin, p.native_id FROM notifications n JOIN posts p ON p.id = n.post_id"
        )
        assert [tuple(r) for r in noticed] == [("desk", "automation 'urgent unanswered'", "p1")]


def test_a_reply_of_ours_in_the_shared_outbox_answers_the_customer(db: psycopg.Connection) -> None:
    now = time.time()
    queued, _ = add_post(db, "p1", created_at=now - 3600)
    add_reply(db, queued, "ann", "on its way", state="queued")
    held, _ = add_post(db, "p2", created_at=now - 3600)
    add_reply(db, held, "ann", "needs approval", state="awaiting_approval")
    discarded, _ = add_post(db, "p3", created_at=now - 3600)
    add_reply(db, discarded, "ann", "never mind", state="discarded")  # taken back: no answer
    answered_then_again, _ = add_post(db, "p4", thread_id="t4", created_at=now - 7200)
    db.execute(  # a post of ours answered p4, then the customer wrote again
        "INSERT INTO posts (conversation_id, network, native_id, author_native_id, author_handle, text, "
        "created_at, thread_id, is_ours, fetched_at) VALUES (%s, 'demo', 'ours4', 'brand', 'brand', 'hi', "
        "%s, 't4', true, %s)",
        (answered_then_again, now - 5400, now),
    )
    _, again = add_post(db, "p5", thread_id="t4", created_at=now - 3600)
    answered, _ = add_post(db, "p6", thread_id="t6", created_at=now - 3600)
    db.execute(
        "INSERT INTO posts (conversation_id, network, native_id, author_native_id, author_handle, text, "
        "created_at, thread_id, is_ours, fetched_at) VALUES (%s, 'demo', 'ours6', 'brand', 'brand', 'hi', "
        "%s, 't6', true, %s)",
        (answered, now - 1800, now),
    )
    report = hub_automations.run_for_team(db, [URGENT], now, "hub-a")
    assert sorted(
        one(db, "SELECT conversation_id FROM automation_runs WHERE post_id = %s", f.post_id)
        for f in report.fired
    ) == sorted([discarded, answered_then_again])
    # the wait of the conversation answered once started at the customer's post after our answer
    assert (
        one(db, "SELECT post_id FROM automation_runs WHERE conversation_id = %s", answered_then_again)
        == again
    )
    assert [conversation(db, c)[0] for c in (queued, held, answered)] == ["new", "new", "new"]


def test_waits_older_than_the_horizon_and_outside_the_query_are_left_alone(db: psycopg.Connection) -> None:
    now = time.time()
    old, _ = add_post(db, "p1", created_at=now - 8 * 86400)
    urgent, _ = add_post(db, "p2", created_at=now - 3600)
    db.execute("UPDATE conversations SET priority = 3 WHERE id = %s", (urgent,))
    plain, _ = add_post(db, "p3", created_at=now - 3600)
    pending, _ = add_post(db, "p4", created_at=now - 3600, status="pending")  # waits on the customer
    only_urgent = automation(
        name="urgent", when="unanswered", after="30m", query="priority:3", escalate="legal"
    )
    fired = hub_automations.run_for_team(db, [only_urgent], now, "hub-a").fired
    assert [one(db, "SELECT conversation_id FROM posts WHERE id = %s", f.post_id) for f in fired] == [urgent]
    assert [conversation(db, c)[0] for c in (old, plain, pending)] == ["new", "new", "pending"]
    assert conversation(db, urgent) == ("escalated", 3, ["escalated:legal"])


@pytest.mark.parametrize(
    ("query", "fires"),
    [
        ("from:@carla", True),
        ("from:@dave", False),
        ("network:demo", True),
        ("tag:vip", True),
        ("-tag:vip", False),
        ("status:new", True),
        ("status:resolved", False),
        ("sentiment:negative", True),
        ("priority:normal", True),
        ("assigned:none", True),
        ("is:unassigned is:actionable is:open", True),
        ("after:7d", True),
        ("before:7d", False),
        ("is:overdue", True),
        ("order never", True),
        ('"never came"', True),
        ("refund", False),
        ("refund OR tag:vip", True),
        ("-refund", True),
    ],
)
def test_an_automations_query_selects_on_the_team_database_as_on_a_desk(
    db: psycopg.Connection, query: str, fires: bool
) -> None:
    now = time.time()
    add_post(db, "p1", "my order never came", handle="carla", created_at=now - 3600)
    db.execute("UPDATE posts SET sentiment_label = 'negative'")
    db.execute("UPDATE conversations SET tags = '{vip}', due_at = %s", (now - 600,))
    chosen = automation(name="q", when="unanswered", after="30m", query=query, priority=2)
    report = hub_automations.run_for_team(db, [chosen], now, "hub-a")
    assert report.refused == []
    assert len(report.fired) == (1 if fires else 0)


def test_a_query_on_what_each_desk_keeps_is_refused_with_why(db: psycopg.Connection) -> None:
    add_post(db, "p1", created_at=time.time() - 3600)
    chosen = automation(name="by ticket", when="unanswered", after="30m", query="ticket:T-12", priority=2)
    report = hub_automations.run_for_team(db, [chosen], time.time(), "hub-a")
    assert report.fired == []
    assert report.refused == [
        "automation 'by ticket' does not run for the team: ticket: is kept in each desk's cache, "
        "not in the team database"
    ]


def test_a_snoozed_conversation_wakes_when_its_time_has_come(db: psycopg.Connection, tmp_path: Path) -> None:
    now = time.time()
    due, _ = add_post(db, "p1", created_at=now - 60)
    later, _ = add_post(db, "p2", created_at=now - 60)
    conversations.set_status(db, due, "ann", "snoozed", snoozed_until=now - 1)
    conversations.set_status(db, later, "ann", "snoozed", snoozed_until=now + 3600)
    desk = Store(tmp_path / "ann.db")
    team_replica.pull(db, desk)
    assert desk.conn.execute("SELECT status FROM posts WHERE native_id = 'p1'").fetchone() == ("snoozed",)
    report = hub_automations.run_for_team(db, [], now, "hub-a")
    assert report.woke == [due]
    assert hub_automations.run_for_team(db, [], now, "hub-b").woke == []
    assert conversation(db, due)[0] == "open" and conversation(db, later)[0] == "snoozed"
    assert db.execute("SELECT agent, conversation_id FROM audit WHERE action = 'woke'").fetchall() == [
        ("automation", due)
    ]
    team_replica.pull(db, desk)
    statuses = desk.conn.execute("SELECT native_id, status FROM posts ORDER BY native_id").fetchall()
    assert [tuple(r) for r in statuses] == [("p1", "open"), ("p2", "snoozed")]


def test_a_quiet_resolved_conversation_is_closed_once_and_stays_closed(
    db: psycopg.Connection, tmp_path: Path
) -> None:
    now = time.time()
    quiet, _ = add_post(db, "p1", created_at=now - 60)
    conversations.set_status(db, quiet, "ann", "resolved")
    assert hub_automations.run_for_team(db, [CLOSE], now + 2 * 86400, "hub-a").fired == []
    fired = hub_automations.run_for_team(db, [CLOSE], now + 3 * 86400 + 60, "hub-a").fired
    assert [f.did for f in fired] == ["closed"]
    assert hub_automations.run_for_team(db, [CLOSE], now + 4 * 86400, "hub-b").fired == []
    assert conversation(db, quiet)[0] == "closed"
    with pytest.raises(UserError, match="closed"):  # final: no agent reopens it
        conversations.set_status(db, quiet, "ann", "open")
    desk = Store(tmp_path / "ann.db")
    team_replica.pull(db, desk)
    assert desk.conn.execute("SELECT status FROM posts WHERE native_id = 'p1'").fetchone() == ("closed",)


def test_two_hubs_racing_fire_each_automation_once(
    db: psycopg.Connection, team_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    waiting = [add_post(db, f"p{i}", created_at=now - 3600 + i)[0] for i in range(5)]
    # Hub a locks the first conversation and holds it until hub b, which chose the same ones before
    # a committed anything, waits on that lock: the race every firing must survive.
    a_locked, real_lock = threading.Event(), ta.lock
    b_pid: list[int] = []

    def lock(conn: psycopg.Connection, conversation_id: int) -> None:
        real_lock(conn, conversation_id)
        if threading.current_thread().name == "hub-a" and not a_locked.is_set():
            a_locked.set()
            until(
                db,
                lambda: (
                    bool(b_pid)
                    and db.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                        (b_pid[0],),
                    ).fetchone()
                    is not None
                ),
            )

    monkeypatch.setattr(ta, "lock", lock)
    reports: dict[str, Any] = {}

    def run(name: str) -> None:
        with psycopg.connect(team_db, autocommit=True) as conn:
            if name == "hub-b":
                b_pid.append(conn.info.backend_pid)
            reports[name] = hub_automations.run_for_team(conn, [URGENT], now, name)

    a = threading.Thread(target=run, args=("hub-a",), name="hub-a")
    a.start()
    assert a_locked.wait(30)
    b = threading.Thread(target=run, args=("hub-b",), name="hub-b")
    b.start()
    a.join(60)
    b.join(60)
    fired = [f.post_id for r in reports.values() for f in r.fired]
    assert len(fired) == len(set(fired)) == 5
    assert one(db, "SELECT count(*) FROM automation_runs") == 5
    assert one(db, "SELECT count(*) FROM notes") == 5
    assert one(db, "SELECT count(*) FROM audit WHERE action = 'automation'") == 5
    assert [conversation(db, c) for c in waiting] == [("escalated", 3, ["escalated:supervisor"])] * 5


@pytest.fixture
def fake() -> Iterator[HubMastodon]:
    server = HubMastodon()
    yield server
    server.stop()


def test_socialdesk_hub_runs_its_playbooks_automations_after_syncing(
    fake: HubMastodon, db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    env = workspace(tmp_path, team_db, fake)
    playbook = tmp_path / "team-playbook.toml"
    playbook.write_text(
        '[[automation]]\nname = "late"\nwhen = "unanswered"\nafter = "15m"\nescalate = "supervisor"\n',
        encoding="utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[desk]\n", f"[desk]\nplaybook = {str(playbook)!r}\n"),
        encoding="utf-8",
    )
    fake.mention(1, "still waiting for my refund", age=3600)  # an hour without an answer
    fake.mention(2, "hello", age=60)
    hub = start_hub(tmp_path, env, "hub-a")
    try:
        until(db, lambda: one(db, "SELECT count(*) FROM conversations WHERE status = 'escalated'") == 1)
    finally:
        hub.send_signal(signal.SIGTERM)
        out, _ = hub.communicate(timeout=30)
    assert "hub hub-a: automations: 'late' fired for 1 conversation" in out, out
    row = one(
        db,
        "SELECT p.text, c.tags FROM conversations c JOIN posts p ON p.conversation_id = c.id "
        "WHERE c.status = 'escalated'",
    )
    assert row == ("@acme still waiting for my refund", ["escalated:supervisor"])


def _page_post(native_id: str, thread: str, created_at: float) -> dict[str, Any]:
    """A customer post as the hub's cache hands it to `publish_page` (store/hub_pages.PUBLISHED)."""
    return {
        "network": "demo",
        "native_id": native_id,
        "account": "demo",
        "author_native_id": "u-carla",
        "author_handle": "carla",
        "author_name": "Carla",
        "text": "it broke again",
        "created_at": created_at,
        "url": "",
        "in_reply_to": None,
        "conversation_id": thread,
        "kind": "mention",
        "lang": "",
        "is_ours": 0,
        "content_warning": "",
        "raw": "{}",
        "fetched_at": created_at,
        "edited_at": None,
        "deleted_at": None,
        "status": "new",
        "priority": 2,
        "sentiment": None,
        "sentiment_label": "",
        "intent": "",
        "actionable": 1,
        "assigned_to": "",
        "due_at": created_at + 3600,
        "tags": [],
    }


def test_the_customers_next_post_opens_a_closed_conversation_again(db: psycopg.Connection) -> None:
    now = time.time()
    closed, _ = add_post(db, "p1", thread_id="t1", created_at=now - 60)
    conversations.set_status(db, closed, "ann", "resolved")
    assert hub_automations.run_for_team(db, [CLOSE], now + 4 * 86400, "hub-a").fired
    assert conversation(db, closed)[0] == "closed"
    lease = hub_leases.try_lead(db, "demo", "hub-a")
    assert lease is not None
    hub_posts.publish_page(db, lease, [_page_post("p2", "t1", now)], [], "c1", now)
    assert conversation(db, closed) == ("open", 2, [])
    assert one(db, "SELECT due_at, first_response_at FROM conversations WHERE id = %s", closed) == (
        now + 3600,
        None,
    )
