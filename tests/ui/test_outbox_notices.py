"""The desk tells the agent when a reply needs their decision, and only then asks for one."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.messages import OutboxChanged
from socialdesk.services.delivery import OutboxEvent
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_a_reply_that_cannot_be_checked_asks_the_agent(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = desk_app.desk
        desk.post_message(OutboxChanged([OutboxEvent(7, None, "unknown", "read timeout")]))
        await settle(pilot)
        (checking,) = list(desk_app._notifications)
        assert "checking whether it arrived" in checking.message and checking.severity == "information"
        desk_app.clear_notifications()
        desk.post_message(OutboxChanged([OutboxEvent(7, None, "unknown", "cannot look", ask_agent=True)]))
        await settle(pilot)
        (ask,) = list(desk_app._notifications)
        assert ask.title == "Your decision" and "retry or discard" in ask.message and ask.markup is False
