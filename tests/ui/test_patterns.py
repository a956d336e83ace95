"""Lone voice or pattern in the thread pane, `C` opens the similar posts, the spike banner and `c`."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.screens.escalate import EscalateScreen
from socialdesk.screens.pattern_actions import SpikesFound
from socialdesk.services.spikes import Spike
from socialdesk.widgets.spike_banner import SpikeBanner
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.waiting import settle

SIZE = (140, 40)


async def test_the_thread_says_how_many_wrote_the_same_and_c_opens_them(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot, until=lambda: desk.query_one(ThreadView).data is not None)
        conn = desk.ctx.store.conn
        outage = conn.execute(
            "SELECT p.id FROM posts p JOIN post_signatures s ON s.post_id = p.id "
            "WHERE p.text LIKE '%error 503%' ORDER BY p.created_at DESC LIMIT 1"
        ).fetchone()[0]
        desk.select_post(outage)
        await settle(
            pilot,
            until=lambda: (d := desk.query_one(ThreadView).data) is not None and d.thread.focus.id == outage,
        )
        detail = desk.query_one(ThreadView).data
        assert detail is not None and detail.pattern.startswith(("A pattern", "A few voices"))
        await pilot.press("C")
        await settle(pilot)
        assert desk.view_title.startswith("Similar to @")
        assert desk.feed.window.total == len(detail.similar_ids) > 1


async def test_a_spike_raises_the_banner_and_c_opens_its_posts_and_the_escalation(
    desk_app: SocialDeskApp,
) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot)
        banner = desk.query_one(SpikeBanner)
        assert not banner.has_class("-shown")
        ids = tuple(
            r[0] for r in desk.ctx.store.conn.execute("SELECT id FROM posts WHERE is_ours = 0 LIMIT 12")
        )
        spike = Spike("similar", "[b]Is acme down?[/b] \x1b]0;pwned\x07", 12, 0.4, 11, ids)
        desk.post_message(SpikesFound([spike]))
        await settle(pilot)
        assert banner.has_class("-shown") and "Spike: 12 posts like" in str(banner.render())
        assert "\x1b" not in str(banner.render())
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(desk_app.screen, EscalateScreen) and "Spike: 12 posts" in desk_app.screen.note
        await pilot.press("escape")
        await settle(pilot)
        assert desk.feed.window.total == 12 and desk.view_title.startswith("Spike:")


def test_spike_banner(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        desk = pilot.app.desk
        await settle(pilot, until=lambda: desk.query_one(ThreadView).data is not None)
        spike = Spike("similar", "Is brightbasket down for anyone else? Checkout fails", 23, 0.6, 21, (1, 2))
        desk.post_message(SpikesFound([spike]))
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)
