"""An empty queue or search says so, the other panes let go of the last customer, Escape leaves a search."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.screens.search import SearchScreen
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.status_bar import StatusBar
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def search(pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await settle(pilot, until=lambda: isinstance(pilot.app.screen, SearchScreen))
    await pilot.press(*query, "enter")
    await settle(pilot)


async def test_a_search_with_no_hits_says_so_and_clears_the_panes(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        desk = desk_app.desk
        assert desk.query_one(ThreadView).data is not None
        await search(pilot, "zzqqxxnothing")
        feed = desk.query_one(FeedList)
        assert feed.window.total == 0
        text = "\n".join(drawn_lines(feed))
        assert 'Nothing matches "zzqqxxnothing"' in text and "Escape" in text, text
        assert desk.query_one(ThreadView).data is None
        assert desk.query_one(CustomerPane).data is None
        assert desk.selected_post is None
        composer = desk.query_one(Composer)
        assert composer.text == "" and "Reply to" not in str(composer.query_one("#composer-target").render())


async def test_escape_leaves_a_search_for_the_view_before_it(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")  # a saved queue
        await settle(pilot)
        title = desk_app.desk.view_title
        total = desk_app.desk.feed.window.total
        await search(pilot, "refund")
        assert desk_app.desk.view_title.startswith("Search")
        await pilot.press("escape")
        await settle(pilot)
        assert desk_app.desk.view_title == title and desk_app.desk.feed.window.total == total
        assert desk_app.desk.query_one(StatusBar).view_title == title
        assert desk_app.desk.query_one(ThreadView).data is not None


async def test_an_empty_queue_says_so(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")  # Mine: nothing is assigned in the demo
        await settle(pilot)
        feed = desk_app.desk.query_one(FeedList)
        assert feed.window.total == 0
        assert "Nothing in Mine" in "\n".join(drawn_lines(feed))
        assert desk_app.desk.query_one(ThreadView).data is None


async def test_an_unknown_network_is_an_error_in_the_search_box(desk_app: SocialDeskApp) -> None:
    from textual.widgets import Static

    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        await settle(pilot, until=lambda: isinstance(pilot.app.screen, SearchScreen))
        await pilot.press(*"network:myspace", "enter")
        await settle(pilot)
        screen = desk_app.screen
        assert isinstance(screen, SearchScreen), "a search that cannot find anything was run"
        error = str(screen.query_one("#search-error", Static).render())
        assert "network: unknown value 'myspace' (known: " in error and "mastodon" in error, error
