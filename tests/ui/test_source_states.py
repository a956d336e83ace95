"""A source's state is routed once: the desk shows it, then the app keeps it for its sync schedule."""

from __future__ import annotations

from textual.app import App

from socialdesk.app import SocialDeskApp
from socialdesk.connectors.demo import DemoConnector
from socialdesk.context import Context
from socialdesk.messages import SourceStateChanged
from socialdesk.screens.desk import DeskScreen
from socialdesk.services.outbox import Outbox
from socialdesk.services.outbox_worker import resolver_for
from socialdesk.services.sync import Source, SourceState, SyncReport
from socialdesk.widgets.status_bar import StatusBar
from tests.ui.waiting import settle


class BareApp(App[None]):
    """An app that knows nothing of sources: whatever the status bar shows, the desk put there."""

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.desk = DeskScreen(ctx, Outbox(ctx.store, resolver_for(ctx)))

    def on_mount(self) -> None:
        self.push_screen(self.desk)


async def test_the_desk_shows_a_source_state_without_the_apps_help(demo_context: Context) -> None:
    app = BareApp(demo_context)
    async with app.run_test() as pilot:
        report = SyncReport("support", SourceState.NEEDS_AUTH, message="401 revoked")
        app.desk.post_message(SourceStateChanged(report))
        bar = app.desk.query_one(StatusBar)
        await settle(pilot, until=lambda: bool(bar.sources))
        assert bar.sources == (("support", "needs auth", "401 revoked", ""),)


async def test_the_app_keeps_the_state_the_desk_showed(desk_app: SocialDeskApp) -> None:
    desk_app.sources = [Source("support", DemoConnector(account="support"))]
    async with desk_app.run_test() as pilot:
        report = SyncReport("support", SourceState.RATE_LIMITED, message="429", retry_at=1e12)
        desk_app.desk.post_message(SourceStateChanged(report))
        await settle(pilot, until=lambda: "support" in desk_app.source_states)
        assert desk_app.source_states["support"] is report
        assert desk_app.sync_all() == []  # it waits out the limit
        assert "support: 429" in str(desk_app.desk.query_one(StatusBar).render())
