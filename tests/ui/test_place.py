"""Where am I: the queue and the row come back after a restart, and rows holding a draft say so."""

from __future__ import annotations

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.cli import make_app
from socialdesk.context import Context
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.status_bar import StatusBar
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_rows_with_an_unsent_draft_are_marked(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        assert not any(line.startswith("✎") for line in drawn_lines(feed))
        await pilot.press("r", *"Half-written answer", "escape", "j")
        await settle(pilot)
        lines = drawn_lines(feed)
        assert lines[0].startswith("✎ ") and not lines[1].startswith("✎"), lines[:2]
        await pilot.press("k", "r", "ctrl+n", "escape")  # the draft cleared: the mark goes with it
        await settle(pilot)
        assert not drawn_lines(feed)[0].startswith("✎")


async def test_the_queue_and_the_row_come_back_after_a_restart(
    desk_app: SocialDeskApp, demo_context: Context, pinned_clock: float
) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await pilot.press("1")
        await settle(pilot, until=lambda: feed.window.order == "queue" and feed.window.exact)
        await pilot.press("j", "j", "j", "j", "j")
        await settle(pilot)
        title = desk_app.desk.view_title
        post = desk_app.desk.selected_post
        assert post is not None and feed.cursor == 5 and title != "All"
        await pilot.press("q")
        await settle(pilot, until=lambda: desk_app._exit)

    again = make_app(demo_context, sync=False, sources=[])
    again.clock = lambda: pinned_clock
    async with again.run_test(size=SIZE) as pilot:
        feed = again.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.order == "queue" and feed.window.exact)
        await settle(pilot)
        assert again.desk.view_title == title and again.desk.query_one(StatusBar).view_title == title
        assert feed.cursor == 5 and again.desk.selected_post is not None
        assert again.desk.selected_post.id == post.id


async def test_keys_pressed_before_the_place_is_read_back_are_kept(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing saved, reading the place back read the top of All again and put the cursor there:
    an agent who had already pressed j (the first frame shows the feed) was sent back to the first row."""
    from socialdesk.screens.desk import DeskScreen

    restore = DeskScreen.restore_place
    monkeypatch.setattr(DeskScreen, "restore_place", lambda self: None)  # read back below, after a key
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = desk_app.desk.feed
        await pilot.press("j", "j")
        second = feed.current
        assert second is not None and feed.cursor == 2
        restore(desk_app.desk)
        await settle(pilot, until=lambda: feed.window.exact)
        assert feed.cursor == 2 and feed.current is not None and feed.current.id == second.id
