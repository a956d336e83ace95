"""SVG snapshots of a team desk on a real PostgreSQL: who holds, views and types, in the feed and thread."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.team import claims, presence
from tests.conftest import FIXED_NOW
from tests.team.desk_seed import add_post, publish_account
from tests.team.seed import add_agents
from tests.ui.test_team_desk import team_app
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres
SIZE = (140, 24)


def test_team_desk_with_a_colleague_holding_and_typing(  # type: ignore[no-untyped-def]
    snap_compare, team_db: str, tmp_path: Path, pinned_clock: float
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent", cid="agent")
        held, _ = add_post(hub, "p1", "my parcel never came", handle="carla", created_at=FIXED_NOW - 600)
        viewed, _ = add_post(
            hub, "p2", "how do I change my address?", handle="dave", created_at=FIXED_NOW - 1200
        )
        add_post(hub, "p3", "thanks, all sorted", handle="erin", created_at=FIXED_NOW - 1800)
        claims.claim(hub, held, "bob", lease=3600)
        presence.mark(hub, "bob", held, "typing", 3600)
        presence.mark(hub, "cid", viewed, "viewing", 3600)
    app = team_app(team_db, tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        desk = pilot.app.desk
        await settle(pilot, until=lambda: bool(desk.query("TeamBar")))  # composed after Textual is ready
        bar = desk.query_one("TeamBar")
        await settle(pilot, until=lambda: desk.feed.window.total == 3 and len(desk.feed.team_marks) == 2)
        await settle(pilot, until=lambda: bar.line == "Claimed by bob · bob is typing a reply")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_team_desk_macro_picker_names_the_teams_set(  # type: ignore[no-untyped-def]
    snap_compare, team_db: str, tmp_path: Path, pinned_clock: float
) -> None:
    from socialdesk.services import team_playbook

    team = tmp_path / "team.toml"
    team.write_text(
        '[[macro]]\nname = "apology"\nkey = "a"\ndescription = "sorry for the wait"\n'
        'text = "Sorry {customer.name}, we are on it."\n\n'
        '[[macro]]\nname = "order"\ntext = "Could you send us order {prompt:Order number}?"\n',
        encoding="utf-8",
    )
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", sue="supervisor")
        add_post(hub, "p1", "my parcel never came", handle="carla", created_at=FIXED_NOW - 600)
        team_playbook.push_file(hub, "sue", team)
    app = team_app(team_db, tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        desk = pilot.app.desk
        await settle(pilot, until=lambda: desk.feed.window.total == 1)
        await pilot.press("r", "ctrl+t")
        await settle(pilot, until=lambda: type(pilot.app.screen).__name__ == "MacroPickerScreen")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_team_desk_with_an_account_the_network_refused_to_the_hub(  # type: ignore[no-untyped-def]
    snap_compare, team_db: str, tmp_path: Path, pinned_clock: float
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        add_post(hub, "p1", "my parcel never came", handle="carla", created_at=FIXED_NOW - 600)
        publish_account(hub, "demo", "demo", (5000, 23), "The access token is invalid", FIXED_NOW)
    app = team_app(team_db, tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        desk = pilot.app.desk
        bar = desk.query_one("StatusBar")
        await settle(pilot, until=lambda: desk.feed.window.total == 1 and bar.sources != ())
        pilot.app.clear_notifications()  # the status bar is what this shows

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
