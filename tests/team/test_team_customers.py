"""A customer's fields (e-mail, order number, CRM id) saved on a team desk reach the team and every other
desk, by the customer's identity; offline they wait in the journal; the last value written wins."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.services import profile, team_replica
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store, customer_fields
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def customer_of(store: Store, handle: str = "carla") -> int:
    row = store.conn.execute("SELECT customer_id FROM identities WHERE handle = ?", (handle,)).fetchone()
    assert row is not None, f"no customer {handle} in the cache"
    return int(row[0])


def team_fields(hub: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    rows = hub.execute(
        "SELECT author_native_id, name, value, updated_by FROM customer_fields "
        "ORDER BY author_native_id, name"
    )
    return [(str(a), str(n), str(v), str(b)) for a, n, v, b in rows.fetchall()]


def test_fields_saved_on_one_desk_show_on_every_other_and_a_removal_too(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        add_post(hub, "p1", handle="carla")
        ann = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        for desk in (ann, bob):
            team_replica.pull(hub, desk.store)
        values = {"email": "carla@example.org", "order": "A-77", "crm_id": ""}
        changed = profile.save(ann.store, "ann", customer_of(ann.store), values, team=ann)
        assert changed == {"email": "carla@example.org", "order": "A-77"}
        assert team_fields(hub) == [
            ("u-carla", "email", "carla@example.org", "ann"),
            ("u-carla", "order", "A-77", "ann"),
        ]
        audited = hub.execute("SELECT agent, detail FROM audit WHERE action = 'customer.fields'").fetchall()
        assert [(a, d["identities"], d["changed"]) for a, d in audited] == [
            ("ann", [["demo", "u-carla"]], {"email": "carla@example.org", "order": "A-77"})
        ]
        pulled = team_replica.pull(hub, bob.store)
        carla = customer_of(bob.store)
        assert pulled.customers == {carla}  # the customer pane is shown again
        assert customer_fields.read(bob.store.conn, carla) == {"email": "carla@example.org", "order": "A-77"}
        # bob corrects the e-mail and removes the order: the last value written wins, on ann's desk too
        profile.save(bob.store, "bob", carla, {"email": "carla@example.com", "order": ""}, team=bob)
        team_replica.pull(hub, ann.store)
        assert customer_fields.read(ann.store.conn, customer_of(ann.store)) == {"email": "carla@example.com"}
        assert ("u-carla", "order", "", "bob") in team_fields(hub)  # the removal's row stays, empty
        assert team_replica.pull(hub, ann.store).customers == set()  # read once


def test_fields_saved_offline_wait_in_the_journal_and_reach_the_team_on_reconnect(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        add_post(hub, "p1", handle="carla")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        carla = customer_of(desk.store)
        profile.save(desk.store, "ann", carla, {"crm_id": "C-9"}, team=desk)
        assert customer_fields.read(desk.store.conn, carla) == {"crm_id": "C-9"}  # kept here at once
        assert team_fields(hub) == []
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert (replayed.applied, replayed.conflicts) == (1, ())
        assert team_fields(hub) == [("u-carla", "crm_id", "C-9", "ann")]
        with desk.store.transaction() as conn:  # the desk died before the journal said so: again
            conn.execute("UPDATE team_journal SET state = 'waiting'")
        desk.replay()
        assert hub.execute("SELECT count(*) FROM audit WHERE action = 'customer.fields'").fetchone() == (1,)
        bob = Store(tmp_path / "bob.db")
        team_replica.pull(hub, bob)
        assert customer_fields.read(bob.conn, customer_of(bob)) == {"crm_id": "C-9"}


def test_a_desk_whose_agent_is_no_member_keeps_the_fields_here_and_says_so(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        add_post(hub, "p1", handle="carla")
        hub.execute("UPDATE agents SET active = false WHERE name = 'ann'")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, desk.store)
        carla = customer_of(desk.store)
        with pytest.raises(UserError, match="Saved on this desk only: ann is not an active member"):
            profile.save(desk.store, "ann", carla, {"email": "carla@example.org"}, team=desk)
        assert customer_fields.read(desk.store.conn, carla) == {"email": "carla@example.org"}
        assert team_fields(hub) == []
