"""The smallest desk for the reply actions' Pilot tests: a screen with ReplyActions over a demo store."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.models import PostRow
from socialdesk.screens.reply_actions import REPLY_BINDINGS, ReplyActions
from socialdesk.screens.review import ReviewScreen
from socialdesk.services.outbox import Outbox
from socialdesk.services.outbox_worker import resolver_for
from tests.outbox.helpers import make_store
from tests.ui.waiting import settle


class Host(ReplyActions, Screen[None]):
    """The smallest screen that provides what ReplyActions needs."""

    BINDINGS = REPLY_BINDINGS

    def __init__(self, ctx: Context, post: PostRow | None) -> None:
        super().__init__()
        self.ctx = ctx
        # As the app builds the desk's one outbox.
        self.outbox = Outbox(ctx.store, resolver_for(ctx), undo_seconds=ctx.settings.desk.undo_seconds)
        self.selected_post = post
        self.text = ""
        self.thread_refreshes = 0
        self.rules: tuple[int | None, int | None] = (None, None)  # the account's server limits

    def compose(self) -> ComposeResult:
        yield Static("host")

    def composer_text(self) -> str:
        return self.text

    def composer_rules(self) -> tuple[int | None, int | None]:
        return self.rules

    def set_composer_text(self, text: str) -> None:
        self.text = text

    def shown_thread(self) -> None:
        return None  # no thread pane: canned replies get no {ticket}

    def refresh_thread(self) -> None:
        self.thread_refreshes += 1

    def open_draft(self, post_id: int) -> None:
        self.refresh_thread()

    def leave_composer(self) -> None:
        pass


class HostApp(App[None]):
    def __init__(self, ctx: Context, post: PostRow | None) -> None:
        super().__init__()
        self.host = Host(ctx, post)

    def on_mount(self) -> None:
        self.push_screen(self.host)


def demo_context(tmp_path: Path) -> Context:
    """A context over a fresh demo store (post 1 from user0 on another server), the agent Ana."""
    make_store(tmp_path / "t.db", network="demo", account="demo").close()
    settings = Settings()
    settings.desk.agent = "Ana"
    return Context(settings=settings, db_path=tmp_path / "t.db", demo=True)


def replies(ctx: Context) -> list[tuple[str, str, int]]:
    return [tuple(r) for r in ctx.store.conn.execute("SELECT text, state, dm FROM replies ORDER BY id")]  # type: ignore[misc]


async def review_after(pilot: Pilot[None], app: App[None], key: str) -> ReviewScreen:
    """Press `key` (send, split, take private) and wait for the review it opens."""
    await pilot.press(key)
    await settle(pilot, until=lambda: isinstance(app.screen, ReviewScreen))
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    return screen
