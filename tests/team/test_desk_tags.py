"""Tags on a team desk: set operations on the team's conversation, every desk's cache follows, offline too."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from socialdesk.models import Agent
from socialdesk.services import team_replica
from socialdesk.services.queue import QueueService
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team import conversations
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def team_tags(hub: psycopg.Connection, conversation_id: int) -> list[str]:
    row = hub.execute("SELECT tags FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
    assert row is not None
    return sorted(row[0])


def cached_tags(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for native_id, tag in store.conn.execute(
        "SELECT p.native_id, t.tag FROM posts p JOIN post_tags t ON t.post_id = p.id ORDER BY 1, 2"
    ):
        found.setdefault(str(native_id), []).append(str(tag))
    return found


def test_two_agents_tagging_at_once_both_keep_their_tag(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        with (
            psycopg.connect(team_db, autocommit=True) as ann,
            psycopg.connect(team_db, autocommit=True) as bob,
        ):
            bob_pid = bob.info.backend_pid
            with ann.transaction():
                assert conversations.tag(ann, conversation, "ann", "billing")
                # bob's tag starts while ann's is not committed: it waits on the row, then adds to it
                done = threading.Thread(target=conversations.tag, args=(bob, conversation, "bob", "vip"))
                done.start()
                while not hub.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'", (bob_pid,)
                ).fetchone():
                    hub.execute("SELECT pg_sleep(0.01)")
            done.join(30)
        assert team_tags(hub, conversation) == ["billing", "vip"]
        assert conversations.tag(hub, conversation, "ann", "vip") is False  # already there: nothing changes
        assert conversations.tag(hub, conversation, "bob", "billing", remove=True)
        assert team_tags(hub, conversation) == ["vip"]
        audit = hub.execute("SELECT agent, action, detail->>'tag' FROM audit ORDER BY id").fetchall()
        assert audit == [("ann", "tag", "billing"), ("bob", "tag", "vip"), ("bob", "untag", "billing")]


def test_a_tag_reaches_the_team_and_other_desks_and_its_removal_too(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1", thread_id="t1")
        add_post(hub, "p2", thread_id="t1", created_at=1_795_000_100.0)
        hub.execute("UPDATE posts SET tags = '{shipping}' WHERE native_id = 'p2'")  # p2's own triage tag
        ann = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        for desk in (ann, bob):
            team_replica.pull(hub, desk.store)
        QueueService(ann.store, Agent("ann"), team=ann).tag([1], "refund")
        assert team_tags(hub, conversation) == ["refund"]
        assert cached_tags(ann.store) == {"p1": ["refund"], "p2": ["refund", "shipping"]}
        team_replica.pull(hub, bob.store)
        assert cached_tags(bob.store) == {"p1": ["refund"], "p2": ["refund", "shipping"]}
        QueueService(bob.store, Agent("bob"), team=bob).tag([2], "refund", remove=True)
        assert team_tags(hub, conversation) == []
        team_replica.pull(hub, ann.store)
        assert cached_tags(ann.store) == {"p2": ["shipping"]}  # the post's own tag stays
        conversations.tag(hub, conversation, "bob", "vip")  # a desk that joins later sees the team's tags
        cid = TeamDesk(team_db, Store(tmp_path / "cid.db"), "cid")
        team_replica.pull(hub, cid.store)
        assert cached_tags(cid.store) == {"p1": ["vip"], "p2": ["shipping", "vip"]}


def test_tags_changed_offline_are_replayed_and_merge_with_a_colleagues(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        conversations.tag(hub, conversation, "bob", "old")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        queue = QueueService(desk.store, Agent("ann"), team=desk)
        queue.tag([1], "billing")
        queue.tag([1], "old", remove=True)
        assert cached_tags(desk.store) == {"p1": ["billing"]}
        conversations.tag(hub, conversation, "bob", "vip")  # bob tags meanwhile
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
            assert cached_tags(desk.store) == {"p1": ["billing", "vip"]}  # ann's waiting changes kept
            replayed = desk.replay()
            assert (replayed.applied, replayed.conflicts) == (2, ())
            assert team_tags(hub, conversation) == ["billing", "vip"]
            team_replica.pull(feed_conn, desk.store)
        assert cached_tags(desk.store) == {"p1": ["billing", "vip"]}
