"""The business-hours clock: opening hours, weekends, holidays, time zones and daylight saving."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from socialdesk.errors import UserError
from socialdesk.services.hours import ALWAYS, parse_hours
from socialdesk.services.metrics import Metrics, Period
from socialdesk.store import Store
from tests.metrics.fixtures import post

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args: int) -> float:
    return dt.datetime(*args, tzinfo=BERLIN).timestamp()


OFFICE = parse_hours("Europe/Berlin", {"weekdays": "09:00-17:00"}, ["2026-12-25"], "config: desk.hours")


def test_friday_evening_to_monday_morning_counts_the_working_minutes() -> None:
    # Fri 16:30 -> Mon 09:45 across the autumn clock change (Sun 25 Oct): 30 + 45 minutes.
    assert OFFICE.seconds_between(at(2026, 10, 23, 16, 30), at(2026, 10, 26, 9, 45)) == 75 * 60


def test_holidays_are_closed() -> None:
    # Thu 24 Dec 16:00 -> Mon 28 Dec 10:00, Friday the 25th a holiday: one hour each side.
    assert OFFICE.seconds_between(at(2026, 12, 24, 16), at(2026, 12, 28, 10)) == 2 * 3600


def test_a_day_the_clocks_go_back_is_25_hours_long() -> None:
    always_in_berlin = parse_hours("Europe/Berlin", {}, [], "x")
    assert always_in_berlin.seconds_between(at(2026, 10, 25), at(2026, 10, 26)) == 25 * 3600
    sundays = parse_hours("Europe/Berlin", {"sun": "00:00-24:00"}, [], "x")
    assert sundays.seconds_between(at(2026, 10, 24), at(2026, 10, 27)) == pytest.approx(25 * 3600, abs=1e-3)
    assert ALWAYS.seconds_between(10.0, 5.0) == 0


def test_volume_buckets_follow_the_team_clock_through_the_change(store: Store) -> None:
    metrics = Metrics(store, hours=parse_hours("Europe/Berlin", {}, [], "x"), clock=lambda: at(2026, 10, 26))
    start, end = at(2026, 10, 25, 0), at(2026, 10, 25, 6)
    post(store, "a", "x", start + 2.5 * 3600, "neutral")  # 02:30 CEST, the first 02:00 hour
    post(store, "b", "x", start + 3.5 * 3600, "neutral")  # 02:30 CET, the second one
    volume = metrics.report(Period(start, end, "night")).volume
    assert volume.bucket == "hour" and len(volume.buckets) == 7  # six local hours, one of them twice
    assert [sum(b[1].values()) for b in volume.buckets] == [0, 0, 1, 1, 0, 0, 0]
    week = metrics.report(Period(at(2026, 10, 19), at(2026, 10, 26), "week")).volume
    assert (
        week.bucket == "day" and len(week.buckets) == 7 and sum(sum(b[1].values()) for b in week.buckets) == 2
    )


@pytest.mark.parametrize(
    ("timezone", "days", "holidays", "message"),
    [
        ("Mars/Olympus", {}, [], "unknown time zone 'Mars/Olympus'"),
        ("UTC", {"funday": "09:00-17:00"}, [], "unknown day 'funday'"),
        ("UTC", {"mon": "9 to 5"}, [], "'9 to 5' is not a span"),
        ("UTC", {"mon": "17:00-09:00"}, [], "closes before it opens"),
        ("UTC", {"mon": "09:00-25:00"}, [], "not a time span within one day"),
        ("UTC", {}, ["christmas"], "'christmas' is not a date"),
    ],
)
def test_bad_hours_name_the_key(
    timezone: str, days: dict[str, str], holidays: list[str], message: str
) -> None:
    with pytest.raises(UserError, match=message) as caught:
        parse_hours(timezone, days, holidays, "config.toml: desk.hours")
    assert str(caught.value).startswith("config.toml: desk.hours")
