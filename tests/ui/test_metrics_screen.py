"""The metrics screen: `M` opens it over the desk, periods and breakdowns switch, escape goes back."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading

import pytest
from textual.widgets import Static

from socialdesk.app import SocialDeskApp
from socialdesk.screens.metrics import MetricsScreen
from socialdesk.screens.note import PromptScreen
from socialdesk.store import metrics_rebuild
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


async def test_c_asks_for_a_period_and_compares_it_with_the_one_before(
    desk_app: SocialDeskApp, pinned_clock: float
) -> None:
    desk_app.clock = lambda: pinned_clock
    async with desk_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot, until=lambda: getattr(desk_app.screen, "report", None) is not None)
        screen = desk_app.screen
        assert isinstance(screen, MetricsScreen)
        await pilot.press("c")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, PromptScreen))
        await pilot.press(*"2026-11-17 .. 2026-11-10", "enter")  # the wrong way round: refused, said why
        await settle(pilot)
        error = desk_app.screen.query_one("#prompt-error", Static)
        assert isinstance(desk_app.screen, PromptScreen) and "not before end" in str(error.render())
        await pilot.press("ctrl+a", "ctrl+k", *"2026-11-16T12:00 .. 2026-11-17T18:00", "enter")
        await settle(pilot, until=lambda: desk_app.screen is screen)
        report = screen.report
        assert report is not None
        # Read in the team's zone (UTC here): thirty hours, against the thirty hours before.
        since = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
        until = dt.datetime(2026, 11, 17, 18, tzinfo=dt.UTC)
        assert (report.period.since, report.period.until) == (since.timestamp(), until.timestamp())
        before = report.period.previous()
        assert before.until == report.period.since and before.since == since.timestamp() - 30 * 3600
        assert report.figures.volume > 0 and report.previous.volume > 0
        title = str(screen.query_one("#metrics-title", Static).render())
        assert (
            "2026-11-16T12:00 .. 2026-11-17T18:00" in title
            and "compared with 15 Nov 06:00 – 16 Nov 12:00" in title
        )
        await pilot.press("b")  # a breakdown keeps the period
        await settle(pilot)
        assert screen.report is not None and screen.report.period == report.period and screen.report.by
        await pilot.press("w")  # and a preset leaves it
        await settle(pilot)
        assert screen.report is not None and screen.report.period.label == "7d"


def test_metrics_screen_for_a_custom_period(
    snap_compare, desk_app: SocialDeskApp, pinned_clock: float
) -> None:  # type: ignore[no-untyped-def]
    desk_app.clock = lambda: pinned_clock

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot, until=lambda: getattr(pilot.app.screen, "report", None) is not None)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"2026-11-16T12:00 .. 2026-11-17T18:00", "enter")
        await settle(pilot, until=lambda: isinstance(pilot.app.screen, MetricsScreen))

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


async def test_the_desk_rebuilds_stale_metrics_in_a_worker_once_the_keys_rest(
    desk_app: SocialDeskApp, pinned_clock: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A status change logged out of order left the rollups stale: the desk rebuilds them off the UI
    thread after its first page, and the reports read the rollups again."""
    store = desk_app.ctx.store
    post_id = store.conn.execute("SELECT min(id) FROM posts WHERE is_ours = 0").fetchone()[0]
    with store.transaction() as conn:
        for ago, value in ((600, "resolved"), (300, "open"), (900, "open")):  # the last one out of order
            conn.execute(
                "INSERT INTO audit (at, agent, action, post_id, detail) VALUES (?, 'ann', 'status', ?, ?)",
                (pinned_clock - ago, post_id, json.dumps({"status": value})),
            )
    assert metrics_rebuild.stale(store.conn)
    threads: list[threading.Thread] = []
    real = metrics_rebuild.rebuild

    def spy(conn: sqlite3.Connection, changes: int) -> bool:
        threads.append(threading.current_thread())
        return real(conn, changes)

    monkeypatch.setattr(metrics_rebuild, "rebuild", spy)
    async with desk_app.run_test(size=SIZE) as pilot:
        await settle(pilot, until=lambda: bool(threads) and not metrics_rebuild.stale(store.conn))
    assert threading.main_thread() not in threads  # the UI's
