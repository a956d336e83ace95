"""Pilot tests of the team's canned replies on a team desk: ctrl+t offers the team's set, never the desk's
own file's, and a set a supervisor publishes meanwhile replaces it (a real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from textual.widgets import OptionList

from socialdesk.app import SocialDeskApp
from socialdesk.cli import make_app
from socialdesk.config import DeskSettings, Settings, TeamSettings
from socialdesk.context import Context
from socialdesk.screens.macro_picker import MacroPickerScreen
from socialdesk.services import team_playbook
from socialdesk.widgets.feed_list import FeedList
from tests.team.desk_seed import add_post
from tests.team.seed import add_agents
from tests.ui.team_host import toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres

TEAM = """
[[macro]]
name = "apology"
text = "Sorry {customer.name}, {agent.name} here: we are on it."

[[macro]]
name = "order"
text = "Could you send us order {prompt:Order number}?"
"""
OWN = """
[[macro]]
name = "my own greeting"
text = "Howdy from this laptop only"
"""


def picked(app: object) -> list[str]:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, MacroPickerScreen)
    return [m.name for m in screen.shown]


def ann_desk(team_db: str, tmp_path: Path) -> SocialDeskApp:
    """Ann's team desk, with a playbook file of its own: a solo desk's set, never a team desk's."""
    own = tmp_path / "own.toml"
    own.write_text(OWN, encoding="utf-8")
    settings = Settings(desk=DeskSettings(agent="ann", playbook=str(own)), team=TeamSettings(url=team_db))
    return make_app(Context(settings=settings, db_path=tmp_path / "ann.db"), sync=False, sources=[])


async def test_ctrl_t_on_a_team_desk_offers_the_teams_canned_replies_and_a_new_set_replaces_them(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    add_agents(hub, sue="supervisor")
    (tmp_path / "team.toml").write_text(TEAM, encoding="utf-8")
    team_playbook.push_file(hub, "sue", tmp_path / "team.toml")
    add_post(hub, "p1", "where is my parcel", handle="carla")
    app = ann_desk(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await pilot.press("r", "ctrl+t")
        await settle(pilot, until=lambda: isinstance(app.screen, MacroPickerScreen))
        assert picked(app) == ["apology", "order"]  # the team's, and nothing of the desk's own file
        assert str(app.screen.query_one("#picker").border_title) == "the team playbook v1 (sue)"
        await pilot.press(*"sory", "enter")
        await settle(pilot, until=lambda: app.screen is app.desk)
        assert app.desk.composer_text() == "Sorry Carla, ann here: we are on it."
        # sue publishes a new set while ann works: the desk says so, and ctrl+t offers it
        (tmp_path / "team.toml").write_text(
            TEAM.replace('name = "order"', 'name = "parcel"'), encoding="utf-8"
        )
        team_playbook.push_file(hub, "sue", tmp_path / "team.toml")
        said = "The team's canned replies changed: v2 by sue"
        await settle(pilot, until=lambda: said in toasts(app))
        await pilot.press("ctrl+t")
        await settle(pilot, until=lambda: isinstance(app.screen, MacroPickerScreen))
        assert picked(app) == ["apology", "parcel"]
        assert app.screen.query_one(OptionList).option_count == 2


async def test_a_team_desk_before_any_team_set_says_how_to_publish_one_never_its_own_files(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    add_post(hub, "p1", "where is my parcel", handle="carla")
    app = ann_desk(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await pilot.press("r", "ctrl+t")
        said = "No canned replies in " + team_playbook.NONE_YET
        await settle(pilot, until=lambda: said in toasts(app))
        assert app.screen is app.desk
