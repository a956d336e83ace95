"""Scheduled send times: read in the team's zone, always in the future, typos refused in one line."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from socialdesk.errors import UserError
from socialdesk.services.schedule import describe, parse_send_at

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=BERLIN).timestamp()  # Thursday 15:30 in Berlin


def at(text: str, now: float = NOW) -> str:
    return datetime.fromtimestamp(parse_send_at(text, now, BERLIN), BERLIN).strftime("%Y-%m-%d %H:%M")


def test_clock_times_today_or_tomorrow() -> None:
    assert at("17:45") == "2026-11-26 17:45"
    assert at("09:00") == "2026-11-27 09:00"  # already past today
    assert at("tomorrow 9.30") == "2026-11-27 09:30"
    assert at("Today 16h05") == "2026-11-26 16:05"


def test_dates_and_spans() -> None:
    assert at("2026-12-01 08:30") == "2026-12-01 08:30"
    assert at("+2h") == "2026-11-26 17:30"
    assert at("in 30m") == "2026-11-26 16:00"


def test_a_night_the_clocks_change_keeps_the_wall_clock() -> None:
    before = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN).timestamp()  # the night to summer time follows
    assert at("tomorrow 09:00", before) == "2027-03-28 09:00"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("soon", "Cannot read 'soon' as a time"),
        ("25:00", "not a time of day"),
        ("today 10:00", "has passed"),
        ("2026-02-30 10:00", "is not a date"),
        ("+40d", "more than 30 days away"),
    ],
)
def test_refusals(text: str, error: str) -> None:
    with pytest.raises(UserError, match=error):
        parse_send_at(text, NOW, BERLIN)


def test_describe() -> None:
    assert describe(parse_send_at("17:45", NOW, BERLIN), NOW, BERLIN) == "at 17:45"
    assert describe(parse_send_at("09:00", NOW, BERLIN), NOW, BERLIN) == "tomorrow 09:00"
    assert describe(parse_send_at("2026-12-01 08:30", NOW, BERLIN), NOW, BERLIN) == "2026-12-01 08:30"
