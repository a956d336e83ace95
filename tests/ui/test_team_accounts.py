"""Pilot tests of what a team desk learns of accounts from the hub: the composer counts to the limit the
account's server announced to the hub, and an account whose credentials it refused is shown (a real
PostgreSQL; the hub's rows written as it writes them)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.widgets.composer import Composer
from socialdesk.widgets.status_bar import StatusBar
from tests.team.desk_seed import add_post, publish_account
from tests.ui.team_host import team_app, toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres
LONG = "The refund for order 4417 was sent today. " * 15  # 630 characters


async def test_a_team_desks_composer_counts_to_the_limit_the_hub_learnt_from_the_server(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    add_post(hub, "p1", "where is my refund?", handle="carla")
    publish_account(hub, "demo", "demo", (5000, 23))  # what the hub's sync learnt
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        desk = app.desk
        await settle(pilot, until=lambda: desk.feed.window.total == 1)
        await pilot.press("r")
        composer = desk.query_one(Composer)
        composer.set_text(LONG)
        await settle(pilot, until=lambda: composer.server_limit == 5000)
        measured = composer.measure()
        assert measured.limit == 5000 and not measured.over


async def test_an_account_whose_credentials_the_network_refused_to_the_hub_is_shown_on_every_desk(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    add_post(hub, "p1", "where is my refund?", handle="carla")
    publish_account(hub, "demo", "demo", (5000, 23))
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        desk = app.desk
        bar = desk.query_one(StatusBar)
        await settle(pilot, until=lambda: desk.feed.window.total == 1)
        assert bar.sources == ()
        publish_account(hub, "demo", "demo", (5000, 23), "The access token is invalid", 1.0)
        why = "The access token is invalid"
        said = f"demo needs the hub's attention: the network refused its credentials ({why})"
        await settle(pilot, until=lambda: said in toasts(app))
        assert bar.sources == (("demo", "needs auth", "refused the hub's credentials", ""),)
        publish_account(hub, "demo", "demo", (5000, 23))  # the hub's login works again
        await settle(pilot, until=lambda: bar.sources == ())
    # A desk opened later shows the refusal it holds from its first read on.
    publish_account(hub, "demo", "demo", (5000, 23), "The access token is invalid", 2.0)
    again = team_app(team_db, tmp_path)
    async with again.run_test(size=(140, 30)) as pilot:
        bar = again.desk.query_one(StatusBar)
        await settle(pilot, until=lambda: bar.sources != ())
        assert bar.sources == (("demo", "needs auth", "refused the hub's credentials", ""),)
