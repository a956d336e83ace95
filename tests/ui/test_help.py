"""The help screen: keys by task in words, one line per key, the feed's legend, and it scrolls."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from socialdesk.app import SocialDeskApp
from socialdesk.screens.help import GROUPS, HelpScreen, binding_rows, grouped
from tests.ui.test_desk_keys import ready
from tests.ui.waiting import settle


def shown(screen: HelpScreen) -> str:
    console = screen.app.console
    with console.capture() as capture:
        for static in screen.query(Static):
            console.print(static.content)
    return capture.get()


async def test_help_groups_keys_by_task_with_a_legend_and_scrolls(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, HelpScreen))
        screen = desk_app.screen
        assert isinstance(screen, HelpScreen)
        text = shown(screen)
        # Grouped by task, in the agent's order, with words rather than raw ids.
        positions = [text.index(group) for group in GROUPS]
        assert positions == sorted(positions)
        assert "help_quit" not in text and "claim the next conversation" in text
        # ctrl+c is listed once (Textual's own ctrl+c hint is not a second line).
        rows = binding_rows(desk_app.desk, desk_app)
        assert sum("^c" in keys.split(", ") for _, keys, _ in rows) == 1
        # The nine queue keys are one line.
        assert [keys for ident, keys, _ in rows if ident == "triage.queues"] == ["1, 2, 3, 4, 5, 6, 7, 8, 9"]
        # The legend says what the signs mean.
        signs = (
            "▼ negative",
            "!!! urgent",
            "SLA",
            "★ Reviews",
            "M Mastodon",
            "X X",
            "B Bluesky",
            "R Reddit",
            "◆ Demo network",
        )
        words = " ".join(text.split())  # the network list wraps where the screen is narrow
        for sign in signs:
            assert sign in words, sign
        scroller = screen.query_one(VerticalScroll)
        assert scroller.scroll_y == 0 and scroller.max_scroll_y > 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroller.scroll_y > 0
        await pilot.press("pageup")
        await settle(pilot)
        assert scroller.scroll_y == 0


async def test_every_desk_key_has_a_group_and_words(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        rows = binding_rows(desk_app.desk)
        other = [rows for name, rows in grouped(rows) if name == "Other"]
        assert other == [], other
