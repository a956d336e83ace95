"""Status changes on a team desk reach the team database first, refused over a colleague's claim."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.models import Agent
from socialdesk.services import team_replica
from socialdesk.services.queue import QueueService
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team import claims
from socialdesk.team.claims import ClaimConflict
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def team_status(hub: psycopg.Connection, conversation_id: int) -> tuple[str, float | None]:
    row = hub.execute("SELECT status, snoozed_until FROM conversations WHERE id = %s", (conversation_id,))
    found = row.fetchone()
    assert found is not None
    return str(found[0]), found[1]


def cached(store: Store, native_id: str) -> str:
    return str(store.conn.execute("SELECT status FROM posts WHERE native_id = ?", (native_id,)).fetchone()[0])


def test_a_status_reaches_the_team_and_a_colleagues_claim_refuses_it(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        mine, _ = add_post(hub, "p1")
        theirs, _ = add_post(hub, "p2")
        claims.claim(hub, theirs, "bob")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, desk.store)
        queue = QueueService(desk.store, Agent("ann"), team=desk)
        queue.pending([1])
        assert team_status(hub, mine) == ("pending", None) and cached(desk.store, "p1") == "pending"
        with pytest.raises(ClaimConflict, match="bob holds"):
            queue.set_status([1, 2], "snoozed", 1_900_000_000.0)  # a bulk change: all or nothing
        assert team_status(hub, theirs) == ("open", None) and cached(desk.store, "p2") == "open"
        assert team_status(hub, mine) == ("pending", None) and cached(desk.store, "p1") == "pending"


def test_a_snooze_made_offline_reaches_the_team_on_reconnect(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        conversation, _ = add_post(hub, "p1")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as conn:
            team_replica.pull(conn, desk.store)
        relay.stop()
        QueueService(desk.store, Agent("ann"), team=desk).set_status([1], "snoozed", 1_900_000_000.0)
        assert cached(desk.store, "p1") == "snoozed" and team_status(hub, conversation) == ("new", None)
        relay.start()
        with desk.open() as conn:
            team_replica.pull(conn, desk.store)
        assert desk.replay().applied == 1
        assert team_status(hub, conversation) == ("snoozed", 1_900_000_000.0)
