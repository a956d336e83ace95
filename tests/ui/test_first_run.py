"""A first run asks the agent's name (customers must never read "I'm agent") and keeps it in config."""

from __future__ import annotations

import tomllib

from socialdesk.cli import make_app
from socialdesk.context import Context
from socialdesk.locations import config_file
from socialdesk.screens.note import PromptScreen
from socialdesk.services.macros import fill, values_for
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_first_run_asks_the_name_and_saves_it(demo_context: Context, pinned_clock: float) -> None:
    app = make_app(demo_context, sync=False, sources=[], ask_agent=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot, until=lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"Ana Lima", "enter")
        await settle(pilot, until=config_file().exists)
        assert demo_context.agent.name == "Ana Lima"
        assert tomllib.loads(config_file().read_text())["desk"]["agent"] == "Ana Lima"
        assert "I'm Ana Lima" in fill(
            "I'm {agent.name}", values_for(app.desk.selected_post, demo_context.agent)
        )


async def test_a_configured_name_is_not_asked_again(demo_context: Context, pinned_clock: float) -> None:
    demo_context.settings.desk.agent = "Bo"
    app = make_app(demo_context, sync=False, sources=[], ask_agent=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert not isinstance(app.screen, PromptScreen)


async def test_quitting_as_the_welcome_prompt_opens_is_a_clean_exit(
    demo_context: Context, pinned_clock: float
) -> None:
    """The prompt focused its Input in on_mount, which a desk quitting meanwhile had already taken down."""
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.push_screen(PromptScreen("What is your name?"))
        app.exit()
    assert app.return_code == 0
