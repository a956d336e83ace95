"""The command palette: the desk's own themes only, and "Sync now" says what it does."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_the_palette_offers_the_desks_themes_not_textuals_picker(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [command.title for command in desk_app.get_system_commands(desk_app.desk)]
        assert "Theme" not in titles
        assert "Theme: socialdesk-dark" in titles and "Theme: socialdesk-light" in titles


async def test_sync_now_says_why_nothing_happens(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk_app.sync_now()
        await settle(pilot)
        assert any("No account to sync" in n.message for n in desk_app._notifications)
        desk_app.ctx.offline = True
        desk_app.sync_now()
        await settle(pilot)
        assert any("Offline" in n.message for n in desk_app._notifications)


async def test_the_palette_offers_the_agent_tools(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [command.title for command in desk_app.get_system_commands(desk_app.desk)]
        assert "Edit the draft in $EDITOR" in titles and "Pipe the thread to a command" in titles
        for title in (
            "Attachments",
            "Merge conversation",
            "Split conversation",
            "Undo merge or split",
            "Customer profile",
            "Open in CRM",
            "Block, mute or report",
            "Send later",
        ):
            assert title in titles
