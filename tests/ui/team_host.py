"""What the team desk's Pilot tests share: a team desk app on the test database, and its toasts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App

from socialdesk.app import SocialDeskApp
from socialdesk.cli import make_app
from socialdesk.config import DeskSettings, Settings, TeamSettings
from socialdesk.context import Context


def toasts(app: App[Any]) -> list[str]:
    """The messages of the toasts shown so far."""
    return [n.message for n in app._notifications]


def team_app(team_db: str, tmp_path: Path, agent: str = "ann") -> SocialDeskApp:
    """A team desk for `agent` on the team database, its cache in `tmp_path`, syncing nothing itself."""
    settings = Settings(desk=DeskSettings(agent=agent), team=TeamSettings(url=team_db))
    ctx = Context(settings=settings, db_path=tmp_path / f"{agent}.db")
    return make_app(ctx, sync=False, sources=[])
