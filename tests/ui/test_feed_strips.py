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
