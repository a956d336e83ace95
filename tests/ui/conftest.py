"""UI test helpers: the app factory the CLI uses, on a pinned demo workspace, cursor blink off."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.cli import make_app
from socialdesk.context import Context
from tests.team.seed import add_agents


@pytest.fixture(autouse=True)
def no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots differ from one run to the next."""
    from textual.widgets import TextArea

    monkeypatch.setattr(TextArea, "cursor_blink", False, raising=False)


@pytest.fixture
def desk_app(demo_context: Context, pinned_clock: float) -> SocialDeskApp:
    """The desk over the demo workspace, not syncing (tests add posts themselves), at the pinned time."""
    app = make_app(demo_context, sync=False, sources=[])
    app.clock = lambda: pinned_clock
    return app


@pytest.fixture
def hub(team_db: str) -> Iterator[psycopg.Connection]:
    """The team database as the hub fills it, with ann and bob as members (the team desk tests)."""
    with psycopg.connect(team_db, autocommit=True) as conn:
        add_agents(conn, ann="agent", bob="agent")
        yield conn
