"""The feed's drawn rows: a bounded cache that drops its oldest row, never all of them at once."""

from __future__ import annotations

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.widgets import feed_list
from socialdesk.widgets.feed_list import FeedList
from tests.ui.waiting import settle

SIZE = (140, 40)
BOUND = 100  # below the test feed's 400 rows, so paging through it passes the bound several times


async def test_the_drawn_rows_stay_cached_up_to_the_bound_as_the_agent_pages_on(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feed_list, "STRIP_CACHE_ROWS", BOUND)
    async with desk_app.run_test(size=SIZE) as pilot:
        feed: FeedList = desk_app.desk.feed
        await settle(pilot, until=lambda: bool(feed.window.rows) and feed.window.exact)
        sizes = []
        for _ in range(feed.window.total // feed.size.height + 1):
            before = len(feed._strips)
            await pilot.press("pagedown")
            await settle(pilot)
            sizes.append(len(feed._strips))
            assert sizes[-1] >= min(before, BOUND - 1), sizes  # nothing dropped wholesale
        assert sizes.count(BOUND) >= 3, sizes  # reached, then held there as paging went on


async def test_a_frames_rows_take_the_feeds_style_once_and_draw_as_rows_drawn_alone(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed's own style walks every ancestor's styles: asked once for a frame's rows, not once
    for each row; the rows come out as drawn one at a time, with the focus and without."""
    from rich.style import Style
    from textual.geometry import Region
    from textual.strip import Strip

    asked: list[Style] = []
    drawn: list[Strip] = []
    rich_style = FeedList.rich_style
    render_line = FeedList.render_line

    def style(self: FeedList) -> Style:
        asked.append(rich_style.fget(self))  # type: ignore[attr-defined]
        return asked[-1]

    def line(self: FeedList, y: int) -> Strip:
        drawn.append(render_line(self, y))
        return drawn[-1]

    async with desk_app.run_test(size=SIZE) as pilot:
        feed: FeedList = desk_app.desk.feed
        await settle(pilot, until=lambda: bool(feed.window.rows) and feed.window.exact)
        height = feed.size.height
        for _ in range(2):
            feed._strips.clear()
            alone = [feed.render_line(y) for y in range(height)]
            feed._strips.clear()
            feed._styles_cache.clear()
            asked.clear()
            drawn.clear()
            with monkeypatch.context() as patched:
                patched.setattr(FeedList, "rich_style", property(style))
                patched.setattr(FeedList, "render_line", line)
                feed.render_lines(Region(0, 0, feed.size.width, height))
            assert len(drawn) == height and len(asked) < 3, len(asked)
            assert [list(strip) for strip in drawn] == [list(strip) for strip in alone]
            desk_app.screen.set_focus(None)  # the rows without the focus: another style
            await settle(pilot)
