"""Resizing the terminal: every pane wraps again to its new width, and nothing stale stays on screen."""

from __future__ import annotations

from textual.scroll_view import ScrollView
from textual.strip import Strip

from socialdesk import capabilities
from socialdesk.app import SocialDeskApp
from socialdesk.sanitize import clean
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import ready
from tests.ui.waiting import settle


def screen_strips(app: SocialDeskApp) -> list[Strip]:
    """The lines on screen as the terminal shows them (the compositor's frame, nothing redrawn)."""
    return app.screen._compositor.render_strips()


def on_screen(app: SocialDeskApp, widget: ScrollView) -> list[str]:
    """What the screen shows inside a Line API widget's content region."""
    region = widget.scrollable_content_region
    strips = screen_strips(app)[region.y : region.bottom]
    return [strip.crop(region.x, region.right).text for strip in strips]


def check_panes(app: SocialDeskApp) -> None:
    """Every pane shows what it draws at its present size, and the text of the selected post."""
    desk = app.desk
    feed, thread = desk.query_one(FeedList), desk.query_one(ThreadView)
    customer = desk.query_one(CustomerPane)
    for pane in (feed, thread, customer):
        assert on_screen(app, pane) == drawn_lines(pane), f"{type(pane).__name__} shows stale lines"
    post = feed.current
    assert post is not None and thread.data is not None and thread.data.thread.focus.id == post.id
    # The feed row shows the start of the post's words, whatever the width.
    row = on_screen(app, feed)[feed.cursor - int(feed.scroll_offset.y)]
    assert clean(post.text, single_line=True)[:8] in row, row
    # The thread wraps the post's text to its width: every word is there, none cut at the edge.
    shown = " ".join(line.strip(" ▐▗▝▅▂▃▄▆▇█") for line in on_screen(app, thread))
    words = clean(post.text, single_line=True).split()
    missing = [w for w in words if w not in shown]
    assert not missing or len(" ".join(drawn_lines(thread))) < len(post.text), missing
    composer = desk.query_one(Composer)
    target = composer.query_one("#composer-target")
    counter = composer.query_one("#composer-counter")
    strips = screen_strips(app)
    title = strips[target.content_region.y].crop(target.content_region.x, target.content_region.right).text
    assert title.startswith("Reply to @"), title
    count = strips[counter.content_region.y].crop(counter.content_region.x, counter.content_region.right).text
    result = composer.measure()
    assert f"{result.count}/{result.limit}" in count, count


async def test_every_pane_rewraps_when_the_terminal_is_resized(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await settle(pilot)
        check_panes(desk_app)
        wide_lines = drawn_lines(desk_app.desk.query_one(ThreadView))
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        check_panes(desk_app)
        await pilot.resize_terminal(240, 60)
        await settle(pilot)
        check_panes(desk_app)
        # Back wide, the thread is wrapped wide again (fewer, longer lines than at 160 columns).
        thread_lines = [line for line in drawn_lines(desk_app.desk.query_one(ThreadView)) if line.strip()]
        assert max(map(len, thread_lines)) > max(map(len, wide_lines))


def test_feed_rows_drop_columns_before_the_text() -> None:
    from socialdesk.widgets.feed_list import DROP_ORDER, text_room

    assert text_room(32) == 12 and text_room(90) == 30
    assert DROP_ORDER[0] == "status" and "author" not in DROP_ORDER and "mark" not in DROP_ORDER


async def test_a_narrow_counter_keeps_the_count_and_drops_the_words_around(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await settle(pilot)
        composer = desk_app.desk.query_one(Composer)
        composer.network, composer.state = capabilities.facts("mastodon"), "failed"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        counter = composer.query_one("#composer-counter")
        region = counter.content_region
        shown = screen_strips(desk_app)[region.y].crop(region.x, region.right).text
        result = composer.measure()
        assert f"{result.count}/{result.limit}" in shown and "…" not in shown, shown
        await pilot.resize_terminal(240, 60)
        await settle(pilot)
        region = counter.content_region
        shown = screen_strips(desk_app)[region.y].crop(region.x, region.right).text
        assert "last reply: failed" in shown and "Mastodon" in shown and "left" in shown, shown
