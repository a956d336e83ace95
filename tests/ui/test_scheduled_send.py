"""Pilot test of scheduled send: ctrl+o asks when, the review says it, the outbox shows and cancels it."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from socialdesk.app import SocialDeskApp
from socialdesk.screens.note import PromptScreen
from socialdesk.screens.outbox import OutboxScreen
from socialdesk.screens.review import ReviewScreen
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_ctrl_o_schedules_the_reply_and_x_in_the_outbox_cancels_it(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = desk_app.desk
        desk.outbox.clock = desk_app.clock  # the pinned time, as the desk's
        await settle(pilot, until=lambda: desk.shown_thread() is not None)
        await pilot.press("r", *"Good morning, your refund left", "ctrl+o")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, PromptScreen))
        prompt = desk_app.screen
        prompt.query_one(Input).value = "yesterday"
        await pilot.press("enter")
        assert isinstance(desk_app.screen, PromptScreen)  # refused inline, nothing queued
        prompt.query_one(Input).value = "+2h"
        await pilot.press("enter")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ReviewScreen))
        review = desk_app.screen
        assert isinstance(review, ReviewScreen) and review.data.note.startswith("Scheduled: sends ")
        await pilot.press("y")
        await settle(pilot)
        (row,) = desk.outbox.page(limit=5)[0]
        assert row.state == "queued" and row.scheduled and row.send_after == desk_app.clock() + 7200
        assert any("scheduled: sends" in n.message for n in desk_app._notifications)
        await pilot.press("o")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, OutboxScreen))
        table = desk_app.screen.query_one(DataTable)
        await settle(pilot, until=lambda: table.row_count == 1)
        assert str(table.get_row_at(0)[1]).startswith("scheduled → ")
        await pilot.press("x")
        await settle(pilot)
        assert desk.outbox.get(row.id).state == "discarded"  # type: ignore[union-attr]
