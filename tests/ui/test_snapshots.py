"""SVG snapshots of each screen (update with --snapshot-update only after reading the diff)."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp

SIZE = (140, 40)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the feed, the thread and the customer pane have loaded."""
    for _ in range(60):
        await pilot.pause(0.05)
        desk = pilot.app.desk
        window = desk.feed.window
        if window.rows and window.exact and desk.query_one("ThreadView").data is not None:
            break
    await pilot.pause(0.3)


def test_main_screen(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("j", "j")
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_main_screen_writing_a_reply(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("r", *"Hi! So sorry about the wait, could you DM us your order number?")
        await pilot.pause(0.2)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_light_theme(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    desk_app.theme = "socialdesk-light"

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_high_contrast_theme(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    desk_app.theme = "socialdesk-high-contrast"

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)
