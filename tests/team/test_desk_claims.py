"""A team desk's claims: the lease is renewed while the desk runs, and a lost claim is noticed."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from socialdesk.services import team_follow, team_replica
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team import claims
from tests.team.desk_seed import add_post
from tests.team.seed import add_agents, lapse

pytestmark = pytest.mark.postgres


def lease_end(hub: psycopg.Connection, conversation_id: int) -> float:
    row = hub.execute(
        "SELECT lease_until FROM claims WHERE conversation_id = %s", (conversation_id,)
    ).fetchone()
    assert row is not None
    return float(row[0])


def test_renewing_extends_the_lease_and_reports_a_claim_lost_meanwhile(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        first, _ = add_post(hub, "p1")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann", lease=0.5)
        with desk.open() as conn:
            team_replica.pull(conn, desk.store)
        got = desk.claim_next()
        assert got is not None and got.conversation_id == first and got.post_id == 1
        before = lease_end(hub, first)
        desk.lease = 60
        assert desk.renew() == []
        assert lease_end(hub, first) > before + 30
        desk.lease = 0.5
        assert desk.renew() == []
        lapse(hub, first)
        claims.claim(hub, first, "bob")  # ann's desk stalled past its lease: bob may take it
        assert desk.renew() == [first]
        assert desk.held == {}


def test_the_desk_renews_its_claims_while_it_follows_the_feed(team_db: str, tmp_path: Path) -> None:
    now = [time.time()]
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        conversation, _ = add_post(hub, "p1")
        # A lease no wait for a busy core can outlast, and the desk's own clock moved by the test to
        # when a renewal is due: the test waits for the renewal itself, not for a machine's speed.
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann", lease=60.0, clock=lambda: now[0])
        stop, online = threading.Event(), threading.Event()
        follower = threading.Thread(
            target=team_follow.follow,
            args=(desk, stop, lambda _: None, lambda link: link.online and online.set()),
            daemon=True,
        )
        follower.start()
        try:
            assert online.wait(120), "the desk never reached the team database"
            assert desk.claim_next() is not None
            first = lease_end(hub, conversation)
            now[0] += desk.lease / 2  # past a third of the lease since the follower connected
            hang_guard = time.monotonic() + 120  # not a speed bound: the follower looks every 0.5 s
            while lease_end(hub, conversation) == first:
                assert time.monotonic() < hang_guard, "the lease was never renewed"
                hub.execute("SELECT pg_sleep(0.02)")
            assert lease_end(hub, conversation) > first
        finally:
            stop.set()
            follower.join(10)


def test_the_viewing_heartbeat_never_hides_a_typing_mark(team_db: str, tmp_path: Path) -> None:
    from socialdesk.services import team_desk

    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        conversation, _ = add_post(hub, "p1")
        now = [1000.0]
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann", clock=lambda: now[0])

        def activity() -> str:
            row = hub.execute("SELECT activity FROM presence WHERE agent = 'ann'").fetchone()
            return str(row[0]) if row else ""

        desk.view(conversation)
        assert activity() == "viewing"
        now[0] += team_desk.VIEWING_SECONDS  # long after the last viewing mark
        desk.present(conversation, "typing")
        desk.heartbeat()
        assert activity() == "typing"  # the heartbeat waits for the typing mark to fade
        now[0] += team_desk.TYPING_SECONDS
        desk.heartbeat()
        assert activity() == "viewing"
