"""The metrics screen: `M` opens it over the desk, periods and breakdowns switch, escape goes back."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.screens.metrics import MetricsScreen
from tests.ui.waiting import settle

SIZE = (140, 40)


async def test_m_opens_the_figures_and_escape_returns(desk_app: SocialDeskApp, pinned_clock: float) -> None:
    desk_app.clock = lambda: pinned_clock
    async with desk_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(
            pilot,
            until=lambda: isinstance(desk_app.screen, MetricsScreen) and desk_app.screen.report is not None,
        )
        screen = desk_app.screen
        assert isinstance(screen, MetricsScreen) and screen.report is not None
        assert screen.report.figures.volume > 0 and screen.report.by is None
        week = screen.report.period
        await pilot.press("d")
        await settle(pilot)
        assert screen.report.period.until - screen.report.period.since < week.until - week.since
        await pilot.press("b")
        await settle(pilot)
        assert screen.report.by == "agent"
        await pilot.press("b")
        await settle(pilot)
        assert screen.report.by == "network" and set(screen.report.groups) <= {
            "x",
            "mastodon",
            "bluesky",
            "reddit",
            "reviews",
        }
        await pilot.press("escape")
        await settle(pilot)
        assert desk_app.screen is desk_app.desk


def test_metrics_screen(snap_compare, desk_app: SocialDeskApp, pinned_clock: float) -> None:  # type: ignore[no-untyped-def]
    desk_app.clock = lambda: pinned_clock

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot, until=lambda: getattr(pilot.app.screen, "report", None) is not None)
        await pilot.press("b", "b")
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)
