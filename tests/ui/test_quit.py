"""Quitting while a reply has not left asks first and shows what is pending."""

from __future__ import annotations

from textual.command import CommandList
from textual.widgets import Static

from socialdesk.app import SocialDeskApp
from socialdesk.screens.quit_confirm import QuitScreen
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_quit_inside_the_undo_window_asks_and_shows_the_reply(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        post = desk_app.desk.selected_post
        assert post is not None
        await pilot.press("r", *"Your parcel is on its way", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        screen = desk_app.screen
        assert isinstance(screen, QuitScreen), screen
        shown = "\n".join(str(s.render()) for s in screen.query(Static))
        assert "1 reply has not left yet" in shown and "Your parcel is on its way" in shown, shown
        assert f"@{post.author_handle}" in shown and "sends in" in shown
        await pilot.press("n")
        await settle(pilot)
        assert desk_app.screen is desk_app.desk and desk_app.is_running
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await settle(pilot, until=lambda: desk_app._exit)


async def test_quit_with_nothing_pending_quits_at_once(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await settle(pilot, until=lambda: desk_app._exit)
        assert not isinstance(desk_app.screen, QuitScreen)


async def _queue_a_reply(pilot: object, desk_app: SocialDeskApp) -> None:
    await ready(pilot)  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("r", *"Back in stock tomorrow", "ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("y")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_ctrl_q_inside_the_undo_window_asks_too(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await _queue_a_reply(pilot, desk_app)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(desk_app.screen, QuitScreen), desk_app.screen
        shown = "\n".join(str(s.render()) for s in desk_app.screen.query(Static))
        assert "Back in stock tomorrow" in shown, shown
        await pilot.press("escape")
        await settle(pilot)
        assert desk_app.screen is desk_app.desk and not desk_app._exit


async def test_the_palettes_quit_asks_too(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await _queue_a_reply(pilot, desk_app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Quit")
        await settle(pilot, until=lambda: desk_app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk_app.screen, QuitScreen), desk_app.screen
        await pilot.press("n")
        await settle(pilot)
        assert desk_app.screen is desk_app.desk and not desk_app._exit
