"""Internal notes on a team desk reach the team and every other desk, once, online or after being offline."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from socialdesk.models import Agent
from socialdesk.services import team_follow, team_replica
from socialdesk.services.queue import QueueService
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.store import queue_queries as qq
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def cached_notes(store: Store) -> list[tuple[str, str]]:
    return [(n.agent, n.text) for n in qq.notes_for(store.conn, 1)]


def team_notes(hub: psycopg.Connection) -> list[tuple[int, str, str]]:
    rows = hub.execute("SELECT conversation_id, agent, text FROM notes ORDER BY id").fetchall()
    return [(int(c), str(a), str(t)) for c, a, t in rows]


def audited(hub: psycopg.Connection, action: str) -> list[tuple[str, int]]:
    rows = hub.execute("SELECT agent, conversation_id FROM audit WHERE action = %s ORDER BY id", (action,))
    return [(str(a), int(c)) for a, c in rows.fetchall()]


def test_a_note_reaches_the_team_and_every_other_desk_once(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, post = add_post(hub, "p1")
        ann = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        for desk in (ann, bob):
            team_replica.pull(hub, desk.store)
        QueueService(ann.store, Agent("ann"), team=ann).note(1, "called the courier")
        QueueService(bob.store, Agent("bob"), team=bob).note(1, "a VIP: be quick")
        assert team_notes(hub) == [
            (conversation, "ann", "called the courier"),
            (conversation, "bob", "a VIP: be quick"),
        ]
        on_post = hub.execute("SELECT DISTINCT post_id FROM notes").fetchall()
        assert on_post == [(post,)]  # attached to the post it was written on
        assert audited(hub, "note") == [("ann", conversation), ("bob", conversation)]
        for desk in (ann, bob):
            team_replica.pull(hub, desk.store)
        both = [("ann", "called the courier"), ("bob", "a VIP: be quick")]
        assert cached_notes(ann.store) == both  # ann's own note, back from the team, is not shown twice
        assert cached_notes(bob.store) == both


def test_a_note_written_offline_is_replayed_once_even_when_the_replay_repeats(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        QueueService(desk.store, Agent("ann"), team=desk).note(1, "called the courier")
        assert cached_notes(desk.store) == [("ann", "called the courier")]  # shown at once, offline
        assert team_notes(hub) == []
        hub.execute(
            "UPDATE conversations SET status = 'pending', updated_by = 'bob' WHERE id = %s", (conversation,)
        )
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert (replayed.applied, replayed.conflicts) == (1, ())  # a note never conflicts
        assert team_notes(hub) == [(conversation, "ann", "called the courier")]
        # The desk dies after the team stored the note but before the journal said so: replayed again.
        with desk.store.transaction() as conn:
            conn.execute("UPDATE team_journal SET state = 'waiting'")
        desk.replay()
        assert team_notes(hub) == [(conversation, "ann", "called the courier")]
        assert audited(hub, "note") == [("ann", conversation)]
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        assert cached_notes(desk.store) == [("ann", "called the courier")]
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        team_replica.pull(hub, bob.store)
        assert cached_notes(bob.store) == [("ann", "called the courier")]


def test_two_following_desks_see_each_others_note_and_tag_as_they_are_written(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        add_post(hub, "p1")
    stop = threading.Event()
    desks = {name: TeamDesk(team_db, Store(tmp_path / f"{name}.db"), name) for name in ("ann", "bob")}
    online = {name: threading.Event() for name in desks}
    changed = {name: threading.Event() for name in desks}

    def follow(name: str) -> None:
        def link(state: team_follow.Link) -> None:
            if state.online:
                online[name].set()

        team_follow.follow(desks[name], stop, lambda _: changed[name].set(), link)

    threads = [threading.Thread(target=follow, args=(name,), daemon=True) for name in desks]
    for t in threads:
        t.start()

    def wait_for(name: str, seen: Callable[[Store], bool]) -> None:
        store = desks[name].store
        while not seen(store):
            assert changed[name].wait(30), f"{name}'s desk never saw it"
            changed[name].clear()

    try:
        assert all(e.wait(30) for e in online.values())
        QueueService(desks["ann"].store, Agent("ann"), team=desks["ann"]).note(1, "called the courier")
        QueueService(desks["bob"].store, Agent("bob"), team=desks["bob"]).tag([1], "vip")
        wait_for("bob", lambda s: cached_notes(s) == [("ann", "called the courier")])
        wait_for("ann", lambda s: "vip" in tags_of(s))
        wait_for("ann", lambda s: s.conn.execute("SELECT count(*) FROM team_notes").fetchone()[0] == 1)
        assert cached_notes(desks["ann"].store) == [("ann", "called the courier")]  # back once, not twice
        assert tags_of(desks["bob"].store) == ["vip"]
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def tags_of(store: Store) -> list[str]:
    return [str(t) for (t,) in store.conn.execute("SELECT tag FROM post_tags WHERE post_id = 1 ORDER BY tag")]
