"""When a scheduled reply leaves: "09:00", "tomorrow 09:00", "2026-12-01 08:30", "+2h", "in 30m".

Clock times are read in the team's time zone ([desk.hours] timezone); a time of day already past
today means tomorrow. The result is unix seconds, for the outbox's `send_after`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from socialdesk.errors import UserError

MAX_AHEAD = 30 * 86_400  # a reply scheduled further out than this is a typo, not a plan
_CLOCK = re.compile(r"^(?:(today|tomorrow)\s+)?(\d{1,2})[:.h](\d{2})$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$")
_IN = re.compile(r"^(?:\+|in\s+)(\d{1,4})\s*(m|min|h|d)$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86_400}
EXAMPLES = "09:00, tomorrow 09:00, 2026-12-01 08:30, +2h or in 30m"


def parse_send_at(text: str, now: float, zone: ZoneInfo) -> float:
    """The moment `text` names, after `now`.

    Raises:
        UserError: it cannot be read, is not in the future, or is more than 30 days ahead.
    """
    said = " ".join(text.strip().lower().split())
    local_now = datetime.fromtimestamp(now, zone)
    when: datetime | None = None
    if match := _IN.match(said):
        when = local_now + timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
    elif match := _CLOCK.match(said):
        day, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
        when = _at(local_now, hour, minute, said)
        if day == "tomorrow" or (day is None and when <= local_now):
            when = _at(local_now + timedelta(days=1), hour, minute, said)
    elif match := _DATE.match(said):
        try:
            date = datetime.strptime(match.group(1), "%Y-%m-%d")
        except ValueError:
            raise UserError(f"{text.strip()!r} is not a date: try {EXAMPLES}") from None
        when = _at(date.replace(tzinfo=zone), int(match.group(2)), int(match.group(3)), said)
    if when is None:
        raise UserError(f"Cannot read {text.strip()[:40]!r} as a time: try {EXAMPLES}")
    moment = when.timestamp()
    if moment <= now:
        raise UserError(f"{when:%Y-%m-%d %H:%M} has passed: name a time still to come")
    if moment - now > MAX_AHEAD:
        raise UserError(f"{when:%Y-%m-%d %H:%M} is more than 30 days away")
    return moment


def _at(day: datetime, hour: int, minute: int, said: str) -> datetime:
    if hour > 23 or minute > 59:
        raise UserError(f"{said!r} is not a time of day: try {EXAMPLES}")
    # Built from the wall clock in the zone, so a day the clocks change still says 09:00.
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=day.tzinfo)


def describe(moment: float, now: float, zone: ZoneInfo) -> str:
    """A scheduled time as the outbox shows it: "at 09:00" today, "tomorrow 09:00", else the date."""
    when, today = datetime.fromtimestamp(moment, zone), datetime.fromtimestamp(now, zone)
    if when.date() == today.date():
        return f"at {when:%H:%M}"
    if when.date() == (today + timedelta(days=1)).date():
        return f"tomorrow {when:%H:%M}"
    return f"{when:%Y-%m-%d %H:%M}"
