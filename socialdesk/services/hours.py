"""Business hours: a weekly calendar in a time zone, with holidays, that measures elapsed working time.

Response and resolution times are measured on this clock when `[desk.hours]` sets opening hours; with
none set, every second counts (a team that works around the clock). Days are walked in the calendar's
own time zone, so a day that a daylight-saving change makes 23 or 25 hours long counts as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from socialdesk.config import Settings
from socialdesk.errors import UserError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class BusinessHours(msgspec.Struct, frozen=True):
    """Opening hours per weekday (local time) in `zone`, minus holidays; none at all: always open."""

    zone: ZoneInfo
    spans: tuple[tuple[tuple[dt.time, dt.time], ...], ...]  # per weekday, Monday first
    holidays: frozenset[dt.date] = frozenset()

    @property
    def always_open(self) -> bool:
        """Whether no opening hours are set (every second counts)."""
        return not any(self.spans)

    def open_intervals(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """The open stretches (unix seconds) that lie between `start` and `end`."""
        if end <= start:
            return
        if self.always_open:
            yield start, end
            return
        day = dt.datetime.fromtimestamp(start, self.zone).date()
        last = dt.datetime.fromtimestamp(end, self.zone).date()
        while day <= last:
            if day not in self.holidays:
                for opens, closes in self.spans[day.weekday()]:
                    a = dt.datetime.combine(day, opens, self.zone).timestamp()
                    b = dt.datetime.combine(day, closes, self.zone).timestamp()
                    lo, hi = max(a, start), min(b, end)
                    if hi > lo:
                        yield lo, hi
            day += dt.timedelta(days=1)

    def seconds_between(self, start: float, end: float) -> float:
        """Working seconds from `start` to `end` (0 when `end` is not after `start`)."""
        if self.always_open:  # the common case, once per post in a report: no calendar to walk
            return max(0.0, end - start)
        return sum(hi - lo for lo, hi in self.open_intervals(start, end))


ALWAYS = BusinessHours(ZoneInfo("UTC"), ((),) * 7)


def parse_hours(timezone: str, days: Mapping[str, str], holidays: Iterable[str], where: str) -> BusinessHours:
    """Build the calendar from `[desk.hours]` values.

    Args:
        timezone: an IANA zone name ("Europe/Berlin").
        days: weekday ("mon".."sun", or "weekdays") -> "09:00-17:00"; several spans are
            comma-separated ("09:00-12:00, 13:00-17:00").
        holidays: ISO dates ("2026-12-25") on which the team is closed.
        where: the file and table, for error messages.

    Raises:
        UserError: naming the key and the value that is wrong.
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"{where}.timezone: unknown time zone {timezone!r} (an IANA name: Europe/Berlin)"
        ) from None
    spans: list[tuple[tuple[dt.time, dt.time], ...]] = [()] * 7
    for key, value in days.items():
        name = key.lower()
        targets = range(5) if name == "weekdays" else [DAYS.index(name)] if name in DAYS else None
        if targets is None:
            raise UserError(f"{where}.days: unknown day {key!r} (mon..sun, or weekdays)")
        parsed = tuple(_span(part, f"{where}.days.{key}") for part in value.split(",") if part.strip())
        for index in targets:
            spans[index] = parsed
    dates: set[dt.date] = set()
    for text in holidays:
        try:
            dates.add(dt.date.fromisoformat(text))
        except ValueError:
            raise UserError(f"{where}.holidays: {text!r} is not a date (YYYY-MM-DD)") from None
    return BusinessHours(zone, tuple(spans), frozenset(dates))


def _span(text: str, where: str) -> tuple[dt.time, dt.time]:
    match = _SPAN.match(text)
    if match is None:
        raise UserError(f"{where}: {text.strip()!r} is not a span like 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60 and (h2, m2) <= (24, 0)):
        raise UserError(f"{where}: {text.strip()!r} is not a time span within one day")
    closes = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2)
    opens = dt.time(h1, m1)
    if closes <= opens:
        raise UserError(f"{where}: {text.strip()!r} closes before it opens")
    return opens, closes


def desk_hours(settings: Settings) -> BusinessHours:
    """The calendar that `[desk.hours]` in the settings describes."""
    hours = settings.desk.hours
    return parse_hours(hours.timezone, hours.days, hours.holidays, f"{settings.source}: desk.hours")
