"""`@` hands a conversation to a named colleague from a picker of the team's members (a supervisor's),
`-` takes a tag off it from a picker of its tags; keyboard only, on a team desk and the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from textual.pilot import Pilot

from socialdesk.app import SocialDeskApp
from socialdesk.screens.choice import ChoiceScreen
from socialdesk.team import conversations
from socialdesk.widgets.feed_list import FeedList
from tests.conftest import FIXED_NOW
from tests.team.desk_seed import add_post
from tests.team.seed import add_agents
from tests.ui.team_host import team_app, toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres
SIZE = (140, 24)


async def open_as(pilot: Pilot[None], agent: str) -> None:
    """Until the desk shows the one post and knows `agent`'s team role (what `@` checks)."""
    app = pilot.app
    assert isinstance(app, SocialDeskApp)
    # A snapshot's run_before starts when Textual is ready, which can come before the desk has composed.
    await settle(pilot, until=lambda: bool(app.desk.query(FeedList)))
    feed = app.desk.query_one(FeedList)
    await settle(pilot, until=lambda: feed.window.total == 1 and app.desk.selected_post is not None)
    known = "SELECT 1 FROM team_agents WHERE name = ?"
    await settle(pilot, until=lambda: app.ctx.store.conn.execute(known, (agent,)).fetchone() is not None)


def assignee(hub: psycopg.Connection, conversation_id: int) -> str:
    row = hub.execute("SELECT assigned_to FROM conversations WHERE id = %s", (conversation_id,)).fetchone()
    assert row is not None
    return str(row[0])


async def test_a_supervisor_hands_a_conversation_to_a_colleague_from_the_picker(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    add_agents(hub, sue="supervisor")
    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    app = team_app(team_db, tmp_path, agent="sue")
    async with app.run_test(size=(140, 30)) as pilot:
        await open_as(pilot, "sue")
        await pilot.press("at")
        await settle(pilot, until=lambda: isinstance(app.screen, ChoiceScreen))
        assert isinstance(app.screen, ChoiceScreen)
        assert app.screen.values == ("ann", "bob", "sue", "(nobody)")
        await pilot.press("2")  # bob
        await settle(pilot, until=lambda: any("Assigned to bob" in t for t in toasts(app)))
    assert assignee(hub, conversation) == "bob"
    audit = hub.execute("SELECT agent, detail->>'to' FROM audit WHERE action = 'assign'").fetchall()
    assert audit == [("sue", "bob")]


async def test_an_agent_is_told_handing_over_is_a_supervisors(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    conversation, _ = add_post(hub, "p1")
    app = team_app(team_db, tmp_path, agent="ann")
    async with app.run_test(size=(140, 30)) as pilot:
        await open_as(pilot, "ann")
        await pilot.press("at")
        await settle(pilot, until=lambda: any("supervisor's (you are agent)" in t for t in toasts(app)))
        assert not isinstance(app.screen, ChoiceScreen)
    assert assignee(hub, conversation) == ""


async def test_minus_takes_a_tag_off_the_conversation_for_the_team(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    conversation, _ = add_post(hub, "p1")
    conversations.tag(hub, conversation, "bob", "vip")
    conversations.tag(hub, conversation, "bob", "billing")
    app = team_app(team_db, tmp_path, agent="ann")
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1 and app.desk.selected_post is not None)
        await pilot.press("minus")
        await settle(pilot, until=lambda: isinstance(app.screen, ChoiceScreen))
        assert isinstance(app.screen, ChoiceScreen) and app.screen.values == ("billing", "vip")
        await pilot.press("2")
        await settle(pilot, until=lambda: any("Removed tag vip" in t for t in toasts(app)))
    row = hub.execute("SELECT tags FROM conversations WHERE id = %s", (conversation,)).fetchone()
    assert row is not None and row[0] == ["billing"]


def test_the_assign_to_picker(  # type: ignore[no-untyped-def]
    snap_compare, team_db: str, tmp_path: Path, pinned_clock: float
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent", sue="supervisor")
        add_post(hub, "p1", "my parcel never came", handle="carla", created_at=FIXED_NOW - 600)
    app = team_app(team_db, tmp_path, agent="sue")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_as(pilot, "sue")
        await pilot.press("at")
        await settle(pilot, until=lambda: isinstance(pilot.app.screen, ChoiceScreen))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
