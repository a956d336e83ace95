"""The supervisor's screen on a team desk (real PostgreSQL): supervisors only, live, and its snapshot."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.screens.supervisor import SupervisorScreen
from socialdesk.team import claims
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.supervisor_panel import SupervisorPanel
from tests.conftest import FIXED_NOW
from tests.team.desk_seed import add_post
from tests.team.seed import add_agents
from tests.ui.team_host import team_app, toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres


def seed_team(team_db: str) -> tuple[int, int, int]:
    """sue supervises ann and bob; three conversations, one past its SLA by ten minutes."""
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, sue="supervisor", ann="agent", bob="agent")
        first, _ = add_post(hub, "p1", "my parcel never came", handle="carla", created_at=FIXED_NOW - 600)
        second, _ = add_post(
            hub, "p2", "how do I change my address?", handle="dave", created_at=FIXED_NOW - 900
        )
        third, _ = add_post(hub, "p3", "refund please", handle="erin", created_at=FIXED_NOW - 1200)
        hub.execute("UPDATE conversations SET due_at = team_now() - 600 WHERE id = %s", (third,))
        claims.claim(hub, first, "ann", lease=3600)
    return first, second, third


async def test_only_a_supervisor_opens_it_and_it_follows_the_team_live(team_db: str, tmp_path: Path) -> None:
    first, second, _ = seed_team(team_db)
    agent = team_app(team_db, tmp_path, agent="ann")
    async with agent.run_test(size=(120, 30)) as pilot:
        await settle(pilot, until=lambda: agent.desk.query_one(FeedList).window.total == 3)
        await pilot.press("T")
        await settle(
            pilot, until=lambda: any("supervise needs the supervisor role" in t for t in toasts(agent))
        )
        assert not isinstance(agent.screen, SupervisorScreen)
    app = team_app(team_db, tmp_path, agent="sue")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, until=lambda: app.desk.query_one(FeedList).window.total == 3)
        await pilot.press("T")
        await settle(pilot, until=lambda: isinstance(app.screen, SupervisorScreen))
        panel = app.screen.query_one(SupervisorPanel)
        assert panel.view is not None
        assert {a.agent: a.claimed for a in panel.view.agents} == {"ann": (first,), "bob": (), "sue": ()}
        assert panel.view.breach_count == 1
        with psycopg.connect(team_db, autocommit=True) as hub:
            claims.claim(hub, second, "bob", lease=3600)
        await settle(pilot, until=lambda: panel.view is not None and panel.view.claimable == 1)
        assert {a.agent: a.claimed for a in panel.view.agents}["bob"] == (second,)
        await pilot.press("escape")
        await settle(pilot, until=lambda: not isinstance(app.screen, SupervisorScreen))


def test_supervisor_screen(snap_compare, team_db: str, tmp_path: Path, pinned_clock: float) -> None:  # type: ignore[no-untyped-def]
    seed_team(team_db)
    app = team_app(team_db, tmp_path, agent="sue")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot, until=lambda: app.desk.query_one(FeedList).window.total == 3)
        await pilot.press("T")
        await settle(pilot, until=lambda: isinstance(app.screen, SupervisorScreen))

    assert snap_compare(app, terminal_size=(100, 20), run_before=run_before)
