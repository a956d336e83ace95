"""The offline journal against a real PostgreSQL the desk loses and finds again (through a TCP relay)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.services import team_replica
from socialdesk.services.team_desk import TeamDesk, TeamOffline
from socialdesk.store import Store
from socialdesk.team import claims
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def status_of(store: Store, native_id: str) -> str:
    row = store.conn.execute("SELECT status FROM posts WHERE native_id = ?", (native_id,)).fetchone()
    return str(row[0])


def team_state(hub: psycopg.Connection, conversation_id: int) -> tuple[str, str]:
    row = hub.execute(
        "SELECT c.status, coalesce(k.agent, '') FROM conversations c LEFT JOIN claims k "
        "ON k.conversation_id = c.id AND k.lease_until > team_now() WHERE c.id = %s",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_offline_actions_replay_and_a_conflict_is_reported_not_overwritten(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        quiet, _ = add_post(hub, "p1", handle="carla")
        contested, _ = add_post(hub, "p2", handle="dave")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        desk.claim_next()  # the action connection is open when the database goes away
        relay.stop()
        assert desk.resolve(1) is False  # p1: journalled, applied in the cache at once
        assert desk.resolve(2) is False
        assert (status_of(desk.store, "p1"), status_of(desk.store, "p2")) == ("resolved", "resolved")
        with pytest.raises(TeamOffline, match="connection refused"):
            desk.claim_next()
        claims.claim(hub, contested, "bob")  # meanwhile bob takes p2's conversation
        assert team_state(hub, quiet) == ("open", "ann") and team_state(hub, contested) == ("open", "bob")
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert replayed.applied == 1
        assert len(replayed.conflicts) == 1
        assert f"conversation {contested}" in replayed.conflicts[0]
        assert "bob" in replayed.conflicts[0]
        assert team_state(hub, quiet) == ("resolved", "")
        assert team_state(hub, contested) == ("open", "bob")  # bob's claim stands
        assert status_of(desk.store, "p2") == "open"  # the cache is back to the team's state
        assert desk.replay().applied == 0  # replayed once only


def test_an_offline_resolve_of_a_conversation_resolved_meanwhile_is_reported(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        assert desk.resolve(1) is False
        claims.claim(hub, conversation, "bob")
        claims.resolve(hub, conversation, "bob")
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert replayed.applied == 0
        assert replayed.conflicts and "bob set it to resolved while you were offline" in replayed.conflicts[0]
