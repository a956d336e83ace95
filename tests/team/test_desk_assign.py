"""Assignment and escalation on a team desk: they reach the team, never over a colleague's claim, audited."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.models import Agent
from socialdesk.services import team_replica
from socialdesk.services.queue import QueueService
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team import claims, conversations
from socialdesk.team.claims import ClaimConflict
from socialdesk.team.roles import NotAllowed
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def assignee(hub: psycopg.Connection, conversation_id: int) -> str:
    row = hub.execute("SELECT assigned_to FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
    assert row is not None
    return str(row[0])


def cached_assignee(store: Store, native_id: str) -> str:
    row = store.conn.execute("SELECT assigned_to FROM posts WHERE native_id = ?", (native_id,)).fetchone()
    return str(row[0])


def audited(hub: psycopg.Connection, action: str) -> list[tuple[str, int, str]]:
    rows = hub.execute(
        "SELECT agent, conversation_id, detail->>'to' FROM audit WHERE action = %s ORDER BY id", (action,)
    ).fetchall()
    return [(str(a), int(c), str(t)) for a, c, t in rows]


def test_assigning_reaches_the_team_audited_and_a_colleagues_claim_refuses_it(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        mine, _ = add_post(hub, "p1")
        theirs, _ = add_post(hub, "p2")
        claims.claim(hub, theirs, "bob")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, desk.store)
        queue = QueueService(desk.store, Agent("ann"), team=desk)
        queue.assign([1])
        assert assignee(hub, mine) == "ann" and cached_assignee(desk.store, "p1") == "ann"
        assert audited(hub, "assign") == [("ann", mine, "ann")]
        with pytest.raises(ClaimConflict, match="bob holds"):
            queue.assign([1, 2])  # a bulk change: all or nothing
        assert assignee(hub, theirs) == "bob" and cached_assignee(desk.store, "p2") == "bob"
        with pytest.raises(NotAllowed, match="supervisor"):  # moving work to someone else
            conversations.assign(hub, mine, "ann", "bob")
        assert assignee(hub, mine) == "ann"


def test_a_supervisor_hands_a_conversation_over_and_their_own_claim_goes_with_it(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, sue="supervisor", bob="agent")
        conversation, _ = add_post(hub, "p1")
        claims.claim(hub, conversation, "sue")
        conversations.assign(hub, conversation, "sue", "bob")
        assert assignee(hub, conversation) == "bob"
        assert claims.claim(hub, conversation, "bob").agent == "bob"  # sue's claim was released
        with pytest.raises(ClaimConflict, match="bob holds"):
            conversations.assign(hub, conversation, "sue", "")
        assert [a[2] for a in audited(hub, "assign")] == ["bob"]


def test_an_offline_assignment_is_replayed_unless_a_colleague_changed_it_meanwhile(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        quiet, _ = add_post(hub, "p1")
        contested, _ = add_post(hub, "p2")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        queue = QueueService(desk.store, Agent("ann"), team=desk)
        queue.assign([1])
        queue.assign([2])
        assert cached_assignee(desk.store, "p1") == cached_assignee(desk.store, "p2") == "ann"
        claims.claim(hub, contested, "bob")  # bob takes p2 meanwhile
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert replayed.applied == 1
        assert len(replayed.conflicts) == 1 and f"conversation {contested}" in replayed.conflicts[0]
        assert "bob" in replayed.conflicts[0]
        assert assignee(hub, quiet) == "ann" and assignee(hub, contested) == "bob"
        assert cached_assignee(desk.store, "p2") == "bob"  # back to the team's state
        assert desk.replay().applied == 0


def test_escalating_shares_the_status_the_tag_and_the_note(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, desk.store)
        QueueService(desk.store, Agent("ann"), team=desk).escalate(1, "legal", "threatens to sue", ("legal",))
        row = hub.execute("SELECT status, tags FROM conversations WHERE id = %s", (conversation,)).fetchone()
        assert row == ("escalated", ["escalated:legal"])
        note = hub.execute("SELECT agent, text FROM notes").fetchall()
        assert note == [("ann", "[escalated to legal] threatens to sue")]
        actions = hub.execute("SELECT action FROM audit WHERE agent = 'ann' ORDER BY id").fetchall()
        assert [a for (a,) in actions] == ["status", "tag", "note"]
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        team_replica.pull(hub, bob.store)
        from socialdesk.store import queue_queries as qq

        assert [(n.agent, n.text) for n in qq.notes_for(bob.store.conn, 1)] == note
        assert qq.conversation_status(bob.store.conn, 1) == "escalated"
