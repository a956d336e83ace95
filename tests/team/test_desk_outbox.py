"""A team desk's replies go through the team's shared outbox: handed over once, sent once by the hub,
followed back on every desk, and taken back, approved, retried or discarded on the team's row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.models import Agent, Author, Post, ReplyState
from socialdesk.services import team_outbox, team_replica
from socialdesk.services.outbox import Outbox
from socialdesk.services.team_desk import TeamDesk, TeamOffline
from socialdesk.services.team_outbox import NOT_IN_TEAM, TeamOutbox, events_of
from socialdesk.store import Store, reply_moves, team_replies
from socialdesk.store.ingest import store_posts
from socialdesk.store.outbox_ledger import CacheLedger
from socialdesk.team.roles import NotAllowed
from tests.team.desk_seed import add_post
from tests.team.hub_network import HubMastodon
from tests.team.relay import Relay, through
from tests.team.seed import add_agents
from tests.team.test_hub import count, make_hub, running, until

pytestmark = pytest.mark.postgres


def no_connector(network: str, account: str) -> object:
    raise AssertionError(f"a team desk never sends to {network} itself ({account})")


class Desk:
    """A team desk's parts the tests drive: its cache, its link to the team, its outbox."""

    def __init__(self, url: str, folder: Path, agent: str) -> None:
        self.store = Store(folder / f"{agent}.db")
        self.team = TeamDesk(url, self.store, agent)
        self.outbox = Outbox(self.store, no_connector, undo_seconds=60)  # type: ignore[arg-type]
        self.outbox.team = TeamOutbox(self.team)

    def pull(self) -> team_replica.Pulled:
        with self.team.open() as conn:
            return team_replica.pull(conn, self.store, offset=self.team.offset)

    def post_id(self, native_id: str) -> int:
        row = self.store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (native_id,)).fetchone()
        assert row is not None, f"{native_id} is not in {self.team.agent}'s cache"
        return int(row[0])

    def state(self, reply_id: int) -> str:
        row = self.outbox.get(reply_id)
        assert row is not None
        return row.state

    def team_id(self, reply_id: int) -> int | None:
        return team_replies.team_ids(self.store.conn, [reply_id]).get(reply_id)

    def close(self) -> None:
        self.team.close()
        self.store.close()


@pytest.fixture
def db(team_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(team_db, autocommit=True) as conn:
        add_agents(conn, ann="agent", bob="approver", carl="agent")
        yield conn


@pytest.fixture
def desks(team_db: str, db: psycopg.Connection, tmp_path: Path) -> Iterator[dict[str, Desk]]:
    made = {name: Desk(team_db, tmp_path, name) for name in ("ann", "bob", "carl")}
    yield made
    for desk in made.values():
        desk.close()


def team_replies_rows(db: psycopg.Connection) -> list[tuple[str, str, str]]:
    return [
        (str(a), str(s), str(t))
        for a, s, t in db.execute("SELECT agent, state, text FROM replies ORDER BY id")
    ]


def test_a_reply_written_on_a_team_desk_is_sent_once_by_the_hub_and_seen_by_a_colleague(
    db: psycopg.Connection, team_db: str, tmp_path: Path
) -> None:
    fake = HubMastodon(honour_keys=False)  # GoToSocial's behaviour: a resend would be a second post
    ann, bob = Desk(team_db, tmp_path, "ann"), Desk(team_db, tmp_path, "bob")
    try:
        mention = fake.mention(1, "my order never came")
        with running(make_hub(team_db, fake, tmp_path, "hub-a")):
            until(db, lambda c: count(c, "SELECT count(*) FROM posts") == 1)
            ann.pull()
            bob.pull()
            [reply] = ann.outbox.enqueue(
                ann.post_id(mention["id"]), "Sorry! A new one leaves today.", "ann", undo_seconds=0
            )
            assert ann.outbox.team is not None and ann.outbox.team.hand_over().handed == 1
            until(db, lambda c: [r[1] for r in team_replies_rows(c)] == ["sent"])
            assert ann.outbox.team.hand_over().handed == 0  # nothing handed twice
        assert fake.texts() == ["Sorry! A new one leaves today."]
        row = db.execute(
            "SELECT p.account, r.account, r.conversation_id = p.conversation_id FROM replies r "
            "JOIN posts p ON p.id = r.post_id"
        ).fetchone()
        assert row == ("support", "support", True)

        moved = ann.pull().replies
        assert ann.state(reply) == "sent"
        sent = ann.outbox.get(reply)
        assert sent is not None and sent.remote_url and sent.remote_id
        [event] = events_of(moved, "ann")
        assert (event.reply_id, event.state, event.remote_url) == (reply, "sent", sent.remote_url)
        assert events_of(moved, "bob") == []

        bob.pull()
        ours = bob.store.conn.execute("SELECT text FROM posts WHERE is_ours = 1").fetchall()
        assert ours == [("Sorry! A new one leaves today.",)]  # our reply, in the colleague's thread
        [(agent, state, text)] = bob.store.conn.execute("SELECT agent, state, text FROM replies").fetchall()
        assert (agent, state, text) == ("ann", "sent", "Sorry! A new one leaves today.")
        assert bob.outbox.unsent() == ([], 0)  # a colleague's reply never holds this desk's quit
    finally:
        ann.close()
        bob.close()
        fake.stop()


def test_a_hand_over_cut_off_before_the_desk_recorded_it_is_not_made_twice(
    db: psycopg.Connection, desks: dict[str, Desk], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_post(db, "p1")
    ann = desks["ann"]
    ann.pull()
    [reply] = ann.outbox.enqueue(ann.post_id("p1"), "On its way", "ann")
    assert ann.outbox.team is not None
    real = team_replies.handed_over

    def crash(*args: object) -> list[int]:
        raise RuntimeError("the desk died after the team's commit")

    monkeypatch.setattr(team_replies, "handed_over", crash)
    with pytest.raises(RuntimeError):
        ann.outbox.team.hand_over()
    assert team_replies_rows(db) == [("ann", "queued", "On its way")]
    assert ann.team_id(reply) is None
    monkeypatch.setattr(team_replies, "handed_over", real)
    assert ann.outbox.team.hand_over().handed == 1
    assert team_replies_rows(db) == [("ann", "queued", "On its way")]  # the same row, found by its key
    assert ann.team_id(reply) == int(db.execute("SELECT id FROM replies").fetchone()[0])  # type: ignore[index]


def test_a_reply_written_offline_waits_in_the_cache_and_is_handed_over_on_reconnect(
    db: psycopg.Connection, team_db: str, relay: Relay, tmp_path: Path
) -> None:
    add_post(db, "p1")
    ann = Desk(through(relay, team_db), tmp_path, "ann")
    try:
        ann.pull()
        relay.stop()
        [reply] = ann.outbox.enqueue(ann.post_id("p1"), "Checking now", "ann", undo_seconds=0)
        assert ann.outbox.team is not None
        with pytest.raises(TeamOffline):
            ann.outbox.team.hand_over()
        assert ann.state(reply) == "queued" and ann.team_id(reply) is None
        assert ann.outbox.unsent()[1] == 1  # quitting now would leave it behind: the desk asks first
        assert team_replies_rows(db) == []
        relay.start()
        assert ann.outbox.team.hand_over().handed == 1
        assert team_replies_rows(db) == [("ann", "queued", "Checking now")]
        assert ann.outbox.unsent()[1] == 0  # the hub has it now
        [later] = ann.outbox.enqueue(ann.post_id("p1"), "One more thing", "ann", undo_seconds=60)
        ann.outbox.team.hand_over()
        relay.stop()
        with pytest.raises(TeamOffline):  # said, not taken for "too late": the window may still be open
            ann.outbox.undo(later)
        assert ann.state(later) == "queued"
        relay.start()
        assert ann.outbox.undo(later) == "One more thing"
    finally:
        ann.close()


def test_undo_takes_a_handed_over_reply_back_until_the_hub_takes_it(
    db: psycopg.Connection, desks: dict[str, Desk]
) -> None:
    add_post(db, "p1")
    ann = desks["ann"]
    ann.pull()
    [first] = ann.outbox.enqueue(ann.post_id("p1"), "Wrong customer, sorry", "ann")
    assert ann.outbox.team is not None and ann.outbox.team.hand_over().handed == 1
    window = db.execute("SELECT send_after - team_now() FROM replies").fetchone()[0]  # type: ignore[index]
    assert 55 < window <= 60  # the undo window, on the server's clock
    assert ann.outbox.undo(first) == "Wrong customer, sorry"
    assert team_replies_rows(db) == [("ann", "discarded", "Wrong customer, sorry")]
    assert ann.state(first) == "discarded"

    [second] = ann.outbox.enqueue(ann.post_id("p1"), "The right answer", "ann")
    ann.outbox.team.hand_over()
    db.execute("UPDATE replies SET state = 'sending' WHERE text = 'The right answer'")  # the hub claimed it
    assert ann.outbox.undo(second) is None  # too late: it goes
    assert [r[1] for r in team_replies_rows(db)] == ["discarded", "sending"]
    assert ann.state(second) == "queued"  # until the feed brings the hub's move
    ann.pull()
    assert ann.state(second) == "sending"


def test_an_approver_on_another_desk_releases_a_held_reply_and_an_agent_cannot(
    db: psycopg.Connection, desks: dict[str, Desk]
) -> None:
    add_post(db, "p1")
    ann, bob, carl = desks["ann"], desks["bob"], desks["carl"]
    ann.pull()
    [held] = ann.outbox.enqueue(ann.post_id("p1"), "We will refund you", "ann", needs_approval=True)
    assert ann.outbox.team is not None and ann.outbox.team.hand_over().handed == 1
    assert team_replies_rows(db) == [("ann", "awaiting_approval", "We will refund you")]
    bob.pull()
    carl.pull()
    [pending] = [(p.reply_id, p.agent, p.text) for p in bob.outbox.awaiting_approval()[0]]
    assert pending[1:] == ("ann", "We will refund you")  # in the approver's queue, on another desk
    [carls_copy] = [p.reply_id for p in carl.outbox.awaiting_approval()[0]]
    with pytest.raises(NotAllowed):  # the team's roles decide, whatever the desk's config says
        carl.outbox.approve(carls_copy, Agent("carl", roles=("agent", "approver")))
    bob.outbox.approve(pending[0], Agent("bob", roles=("approver",)))
    assert db.execute("SELECT state, approved_by FROM replies").fetchone() == ("queued", "bob")
    ann.pull()
    assert ann.state(held) == "queued"
    approved = ann.outbox.get(held)
    assert approved is not None and approved.approved_by == "bob"


def test_retry_and_discard_of_a_handed_over_reply_act_on_the_teams_row(
    db: psycopg.Connection, desks: dict[str, Desk]
) -> None:
    add_post(db, "p1")
    ann = desks["ann"]
    ann.pull()
    [first] = ann.outbox.enqueue(ann.post_id("p1"), "First try", "ann", undo_seconds=0)
    [second] = ann.outbox.enqueue(ann.post_id("p1"), "Second try", "ann", undo_seconds=0)
    assert ann.outbox.team is not None
    ann.outbox.team.hand_over()
    db.execute("UPDATE replies SET state = 'failed', error = 'the server said no'")  # as the hub records it
    ann.pull()
    assert (ann.state(first), ann.state(second)) == ("failed", "failed")
    assert ann.outbox.retry(first, "ann") == 1
    assert ann.outbox.retry(first, "ann") == 0  # queued already: nothing moves twice
    ann.outbox.discard(second, "ann")
    assert [r[1] for r in team_replies_rows(db)] == ["queued", "discarded"]
    ann.pull()
    assert (ann.state(first), ann.state(second)) == ("queued", "discarded")
    with pytest.raises(UserError, match="cannot be discarded"):
        db.execute("UPDATE replies SET state = 'sending' WHERE text = 'First try'")
        ann.pull()
        ann.outbox.discard(first, "ann")


def test_the_desk_never_delivers_or_recovers_a_reply_the_hub_is_sending(
    db: psycopg.Connection, desks: dict[str, Desk]
) -> None:
    add_post(db, "p1")
    ann, bob = desks["ann"], desks["bob"]
    ann.pull()
    [reply] = ann.outbox.enqueue(ann.post_id("p1"), "Being sent", "ann", undo_seconds=0)
    assert ann.outbox.team is not None
    ann.outbox.team.hand_over()
    db.execute("UPDATE replies SET state = 'sending'")
    for desk in (ann, bob):
        desk.pull()
        assert CacheLedger(desk.store).to_deliver() == []
        assert CacheLedger(desk.store).next_due() is None
        with desk.store.transaction() as conn:
            assert reply_moves.interrupted(conn, 0.0, "a crash") == 0  # a desk restart changes nothing
    assert ann.state(reply) == ReplyState.SENDING


def test_a_reply_to_a_post_the_team_never_stored_fails_with_why(
    db: psycopg.Connection, desks: dict[str, Desk]
) -> None:
    ann = desks["ann"]
    post = Post("demo", "local-only", Author("u1", "dana"), "hello?", 1_795_000_000.0)
    [post_id] = store_posts(ann.store, "demo", [post]).inserted
    [reply] = ann.outbox.enqueue(post_id, "Hi Dana", "ann", undo_seconds=0)
    assert ann.outbox.team is not None
    assert ann.outbox.team.hand_over().failed == (reply,)
    failed = ann.outbox.get(reply)
    assert failed is not None and (failed.state, failed.error) == ("failed", NOT_IN_TEAM)
    assert team_replies_rows(db) == []


def test_a_backlog_written_offline_is_handed_over_whole_without_waiting_for_the_next_look(
    db: psycopg.Connection, team_db: str, relay: Relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_outbox, "IDLE_WAIT", 3600.0)  # only a full round may bring the next one
    add_post(db, "p1")
    ann = Desk(through(relay, team_db), tmp_path, "ann")
    stop = threading.Event()
    failed: list[tuple[int, ...]] = []
    loop: threading.Thread | None = None
    try:
        ann.pull()
        relay.stop()
        backlog = team_outbox.HAND_OVER_PAGE * 2 + 7
        for n in range(backlog):
            ann.outbox.enqueue(ann.post_id("p1"), f"reply {n}", "ann", undo_seconds=0)
        assert ann.outbox.team is not None
        relay.start()
        loop = threading.Thread(
            target=team_outbox.run, args=(ann.outbox.team, stop, failed.append), daemon=True
        )
        loop.start()
        until(db, lambda conn: count(conn, "SELECT count(*) FROM replies") == backlog)
        assert ann.outbox.unsent()[1] == 0 and failed == []
    finally:
        stop.set()
        if ann.outbox.team is not None:
            ann.outbox.team.wake()
        if loop is not None:
            loop.join(30)
        ann.close()
