"""Quitting while a reply has not left asks first and shows what is pending."""

from __future__ import annotations

import asyncio

from textual.command import CommandList
from textual.widgets import Static

from socialdesk.app import SocialDeskApp
from socialdesk.messages import OutboxChanged
from socialdesk.screens.quit_confirm import PendingReply, QuitScreen
from socialdesk.services.delivery import OutboxEvent
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


def _question_text(app: SocialDeskApp) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


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
        shown = _question_text(desk_app)
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


async def _queue_a_reply(
    pilot: object, desk_app: SocialDeskApp, text: str = "Back in stock tomorrow"
) -> None:
    await ready(pilot)  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("r", *text, "ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("y")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_ctrl_q_inside_the_undo_window_asks_too(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await _queue_a_reply(pilot, desk_app)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(desk_app.screen, QuitScreen), desk_app.screen
        shown = _question_text(desk_app)
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


async def test_the_question_quits_by_itself_once_the_reply_has_left(desk_app: SocialDeskApp) -> None:
    """The agent asked to quit: when the last reply leaves while the question is open, the desk quits."""
    async with desk_app.run_test(size=SIZE) as pilot:
        await _queue_a_reply(pilot, desk_app)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(desk_app.screen, QuitScreen), desk_app.screen
        # What the outbox worker does once the undo window has passed: send it, and tell the desk.
        delivery = desk_app.outbox.delivery
        events = await asyncio.to_thread(delivery.process_due, delivery.clock() + 3600)
        assert [e.state for e in events] == ["sent"], events
        desk_app.desk.post_message(OutboxChanged(events))
        await settle(pilot, until=lambda: desk_app._exit)


async def test_a_reply_that_leaves_is_taken_off_the_question(desk_app: SocialDeskApp) -> None:
    """Two replies wait; one leaves: the question stays open and lists the other."""
    async with desk_app.run_test(size=SIZE) as pilot:
        await _queue_a_reply(pilot, desk_app)
        await pilot.press("j")
        await _queue_a_reply(pilot, desk_app, "Refund is on its way")
        await pilot.press("q")
        await settle(pilot)
        assert "2 replies have not left yet" in _question_text(desk_app)
        first = desk_app.outbox.unsent(limit=1)[0][0]
        desk_app.outbox.undo(first.id)  # taken back from the outbox's list, as if it had left
        desk_app.desk.post_message(OutboxChanged([OutboxEvent(first.id, first.post_id, "cancelled")]))
        await settle(pilot, until=lambda: "1 reply has not left yet" in _question_text(desk_app))
        shown = _question_text(desk_app)
        assert isinstance(desk_app.screen, QuitScreen) and not desk_app._exit
        assert "Refund is on its way" in shown and "Back in stock tomorrow" not in shown, shown


async def test_the_undo_windows_count_down_while_the_question_is_open(desk_app: SocialDeskApp) -> None:
    now = [1_000.0]
    pending = [PendingReply("reply to @carla on X", "On its way", 1_010.0)]
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await desk_app.push_screen(QuitScreen(pending, clock=lambda: now[0]))
        await settle(pilot, until=lambda: "sends in 10 s" in _question_text(desk_app))
        now[0] = 1_004.5
        await settle(pilot, until=lambda: "sends in 6 s" in _question_text(desk_app))
        now[0] = 1_011.0
        await settle(pilot, until=lambda: "due now" in _question_text(desk_app))
