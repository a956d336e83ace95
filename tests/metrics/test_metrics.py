"""Every figure on a hand-computed day, the previous period, breakdowns, empty periods and the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from socialdesk.errors import UserError
from socialdesk.services.metrics import Metrics, Period, parse_period, parse_range, percentile
from socialdesk.store import Store
from socialdesk.store.queries import PostFilter
from tests.metrics.fixtures import DAY, NOW, T0, a_day


@pytest.fixture
def day(store: Store) -> Metrics:
    a_day(store)
    return Metrics(store, clock=lambda: NOW)


def test_the_figures_of_a_day(day: Metrics) -> None:
    figures = day.report(Period(T0, T0 + DAY, "day")).figures
    assert (figures.volume, figures.actionable, figures.actionable_share) == (5, 4, 0.8)
    assert figures.sentiment == {"negative": 2, "neutral": 2, "positive": 1}
    # p1 answered in 10 min, p2 in 90; p3 needed no answer; the reply to p4 was taken back.
    assert (figures.answered, figures.first_response_median, figures.first_response_p90) == (2, 3000, 5400)
    # p6 (from the day before) after 90 min, p1 after 20, p2 after 30 the first time it was resolved.
    assert (figures.resolved, figures.resolution_median, figures.resolution_p90) == (3, 1800, 5400)
    assert figures.reopened == 1
    # p1 met its 15 min; p2 missed its hour; p4 is unanswered past its target; p5 is not due yet.
    assert (figures.sla_met, figures.sla_missed, figures.sla_attainment) == (1, 2, pytest.approx(1 / 3))
    assert figures.replies == 2  # a thread of two parts is one reply; an undone reply is none


def test_the_previous_period_and_an_empty_one(day: Metrics) -> None:
    report = day.report(Period(T0, T0 + DAY, "day"))
    assert report.previous.volume == 1 and report.previous.sla_missed == 1  # p6, never answered
    empty = day.report(Period(T0 + 10 * DAY, T0 + 11 * DAY, "later")).figures
    assert empty.volume == 0 and empty.actionable_share is None and empty.first_response_median is None
    assert empty.sla_attainment is None and empty.as_dict()["sentiment"] == {
        "positive": 0, "neutral": 0, "negative": 0,
    }  # fmt: skip


def test_breakdowns(day: Metrics, store: Store) -> None:
    period = Period(T0, T0 + DAY, "day")
    by_network = day.report(period, by="network").groups
    assert {name: g.volume for name, g in by_network.items()} == {"bluesky": 1, "mastodon": 1, "x": 3}
    assert by_network["x"].sla_met == 1 and by_network["bluesky"].sla_missed == 1
    by_agent = day.report(period, by="agent").groups
    assert by_agent["ann"].replies == 1 and by_agent["ann"].resolved == 2
    assert by_agent["bob"].replies == 1 and by_agent["bob"].reopened == 1
    queues = Metrics(
        store,
        clock=lambda: NOW,
        queues=lambda: [("Negative", PostFilter(("p.sentiment_label = ?",), ("negative",)))],
    )
    assert queues.report(period, by="queue").groups["Negative"].volume == 2
    with pytest.raises(UserError, match="--by 'team'"):
        day.report(period, by="team")


def test_backlog_counts_open_actionable_posts_by_age(day: Metrics) -> None:
    backlog = day.report(Period(T0, T0 + DAY, "day")).backlog
    # Open and actionable now: p1, p2 (statuses in the audit log only), p4, p5, p6.
    assert backlog.size == 5 and backlog.oldest == T0 - 3600
    assert (backlog.older_than_hour, backlog.older_than_day) == (4, 0)


def test_periods() -> None:
    now = T0 + 12 * 3600
    assert parse_period("today", None, now) == Period(T0, now, "today", (T0 - DAY, now - DAY))
    assert parse_period("7d", None, now).since == now - 7 * DAY
    custom = parse_period("2026-11-01", "2026-11-08", now)
    assert custom.until - custom.since == 7 * DAY and custom.previous().until == custom.since
    for bad, until in (("yesterdayish", None), ("7d", "nope"), ("2026-11-08", "2026-11-01")):
        with pytest.raises(UserError):
            parse_period(bad, until, now)


def test_a_range_as_the_desk_asks_for_it() -> None:
    now = T0 + 12 * 3600
    assert parse_range("2026-11-01 .. 2026-11-08", now) == parse_period("2026-11-01", "2026-11-08", now)
    assert parse_range(" 48h ", now) == Period(now - 2 * DAY, now, "48h")
    refused = [
        ("..2026-11-08", "a start"),
        ("soon .. 2026-11-08", "start 'soon'"),
        ("2026-11-01 .. later", "end 'later'"),
        ("2026-11-08 .. 2026-11-01", "not before end"),
    ]
    for bad, said in refused:
        with pytest.raises(UserError, match=said):
            parse_range(bad, now)


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0


def test_today_is_compared_with_the_same_hours_yesterday(store: Store) -> None:
    from zoneinfo import ZoneInfo

    from socialdesk.services.hours import parse_hours
    from tests.metrics.fixtures import post

    now = T0 + 14.5 * 3600  # 14:30 UTC
    before = parse_period("today", None, now).previous()
    assert (before.since, before.until) == (T0 - DAY, T0 - DAY + 14.5 * 3600)
    post(store, "morning", "x", T0 - DAY + 10 * 3600, "neutral")  # yesterday 10:00: before 14:30
    post(store, "evening", "x", T0 - DAY + 20 * 3600, "neutral")  # yesterday 20:00: after it
    post(store, "today", "x", T0 + 9 * 3600, "neutral")
    report = Metrics(store, clock=lambda: now).report(parse_period("today", None, now))
    assert (report.figures.volume, report.previous.volume) == (1, 1)

    # Monday 26 October 2026 in Berlin: Sunday was 25 hours long, so 00:00-14:30 on it is 15.5 hours.
    berlin = ZoneInfo("Europe/Berlin")
    monday = dt.datetime(2026, 10, 26, 14, 30, tzinfo=berlin).timestamp()
    hours = parse_hours("Europe/Berlin", {}, [], "test")
    sunday = parse_period("today", None, monday, hours).previous()
    assert sunday.since == dt.datetime(2026, 10, 25, tzinfo=berlin).timestamp()
    assert sunday.until == dt.datetime(2026, 10, 25, 14, 30, tzinfo=berlin).timestamp()
    assert sunday.until - sunday.since == 15.5 * 3600
    # Other periods are still compared with the stretch of the same length just before them.
    week = parse_period("7d", None, monday, hours)
    assert (week.previous().since, week.previous().until) == (week.since - 7 * DAY, week.since)
