"""The team's figures for a period: volume, actionable share, sentiment, response and resolution times,
SLA attainment, replies and backlog, overall and by agent, network, saved queue or tag.

The definitions (README, "Metrics"): times run on the business-hours clock of `[desk.hours]`; only
actionable customer posts are measured for response and SLA; a reply taken back with undo never counts
(only a sent reply sets a post's first response); a resolved conversation that an agent opens again
counts as reopened, and its next resolution is measured from the original post. SQLite computes them
(`store/metrics_queries.py`); this module names the periods, builds the calendar and the buckets.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence

import msgspec

from socialdesk.config import Settings
from socialdesk.errors import UserError
from socialdesk.services.hours import ALWAYS, BusinessHours
from socialdesk.services.survey_io import SATISFIED
from socialdesk.store import Store, metrics_rebuild
from socialdesk.store import metrics_pairs as pairs
from socialdesk.store import metrics_queries as mq
from socialdesk.store import metrics_rollups as rollups
from socialdesk.store.queries import PostFilter

GROUPINGS = ("agent", "network", "queue", "tag")
# The stale rollups' rebuild (store/metrics_rebuild.py): status changes per write transaction, so other
# writers wait for one batch at most; and how long a report spends on it before reading the statements
# and leaving the rest to the desk's rebuild (a cache stale before migration 39 rebuilds all its history).
REBUILD_CHANGES = 1000
REBUILD_SECONDS = 1.0
SENTIMENTS = ("positive", "neutral", "negative")
_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$")


class Period(msgspec.Struct, frozen=True):
    """A stretch of time [since, until) in unix seconds, and how the agent named it; `before`, when set,
    is the stretch it is compared with (else the one of the same length just before it)."""

    since: float
    until: float
    label: str
    before: tuple[float, float] | None = None

    def previous(self) -> Period:
        """The period the figures are compared with: `before`, or the same length just before this one."""
        since, until = self.before or (self.since - (self.until - self.since), self.since)
        return Period(since, until, f"previous {self.label}")


def parse_period(
    since: str,
    until: str | None,
    now: float,
    hours: BusinessHours = ALWAYS,
    names: tuple[str, str] = ("--since", "--until"),
) -> Period:
    """`since`: "today", "24h", "7d", "2w" or an ISO date/time; `until`: an ISO date/time or now.

    Dates are read in the team's time zone ("today" starts at its midnight, and is compared with the
    same hours of yesterday on the clock: 00:00-14:30 with yesterday's 00:00-14:30, however long a
    daylight-saving change made either). `names` are what the errors call the two values (the
    command's options, or the desk's "start" and "end").

    Raises:
        UserError: naming the value that is not a period.
    """
    zone = hours.zone
    end = now if until is None else _instant(until, zone, names[1])
    text = since.strip().lower()
    match = _RELATIVE.match(text)
    if text == "today":
        start = dt.datetime.combine(dt.datetime.fromtimestamp(now, zone).date(), dt.time(), zone).timestamp()
    elif match:
        amount, unit = int(match.group(1)), match.group(2)
        start = end - amount * {"h": 3600, "d": 86400, "w": 7 * 86400}[unit]
    else:
        start = _instant(since, zone, names[0])
    if end <= start:
        raise UserError(
            f"the period is empty: {names[0]} {since!r} is not before {names[1]} {until or 'now'!r}"
        )
    label = since if until is None else f"{since} .. {until}"
    before = None
    if text == "today" and until is None:
        local = dt.datetime.fromtimestamp(end, zone)
        yesterday = local.date() - dt.timedelta(days=1)
        before = (
            dt.datetime.combine(yesterday, dt.time(), zone).timestamp(),
            dt.datetime.combine(yesterday, local.time(), zone).timestamp(),
        )
    return Period(start, end, label, before)


def parse_range(text: str, now: float, hours: BusinessHours = ALWAYS) -> Period:
    """A period as the desk asks for it: "START" (until now) or "START .. END", each as `parse_period`
    reads them ("2026-11-01 .. 2026-11-08", "2026-11-20T09:00 .. 2026-11-20T17:00", "48h").

    Raises:
        UserError: naming the start or end that is not a date or time, or an empty period.
    """
    start, _, end = text.partition("..")
    if not start.strip():
        raise UserError("a start, or start .. end (2026-11-01, 2026-11-01 .. 2026-11-08, 48h)")
    return parse_period(start.strip(), end.strip() or None, now, hours, names=("start", "end"))


def _instant(text: str, zone: dt.tzinfo, what: str) -> float:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{what} {text!r} is not a date or time (2026-11-20, 2026-11-20T09:00, 7d, today)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.timestamp()


class Figures(msgspec.Struct, frozen=True):
    """One set of figures (a period overall, or one agent, network, queue or tag in it)."""

    volume: int = 0
    actionable: int = 0
    sentiment: dict[str, int] = msgspec.field(default_factory=dict)
    answered: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolved: int = 0
    resolution_median: float | None = None
    resolution_p90: float | None = None
    reopened: int = 0
    sla_met: int = 0
    sla_missed: int = 0
    replies: int = 0
    csat_responses: int = 0
    csat_average: float | None = None
    csat_satisfied: int = 0

    @property
    def csat_share_satisfied(self) -> float | None:
        """Answers scoring 4 or 5 over all survey answers (None when nobody answered)."""
        return self.csat_satisfied / self.csat_responses if self.csat_responses else None

    @property
    def actionable_share(self) -> float | None:
        """Actionable posts over all posts (None when no post arrived)."""
        return self.actionable / self.volume if self.volume else None

    @property
    def sla_attainment(self) -> float | None:
        """Met over met and missed (posts not yet due are neither)."""
        decided = self.sla_met + self.sla_missed
        return self.sla_met / decided if decided else None

    def as_dict(self) -> dict[str, object]:
        """Stable keys for JSON and CSV (documented in the README)."""
        return {
            "volume": self.volume,
            "actionable": self.actionable,
            "actionable_share": _round(self.actionable_share),
            "sentiment": {name: self.sentiment.get(name, 0) for name in SENTIMENTS},
            "answered": self.answered,
            "first_response_median_s": _round(self.first_response_median),
            "first_response_p90_s": _round(self.first_response_p90),
            "resolved": self.resolved,
            "resolution_median_s": _round(self.resolution_median),
            "resolution_p90_s": _round(self.resolution_p90),
            "reopened": self.reopened,
            "sla_met": self.sla_met,
            "sla_missed": self.sla_missed,
            "sla_attainment": _round(self.sla_attainment),
            "replies": self.replies,
            "csat_responses": self.csat_responses,
            "csat_average": _round(self.csat_average),
            "csat_share_satisfied": _round(self.csat_share_satisfied),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class Volume(msgspec.Struct, frozen=True):
    """Posts per network in each bucket (an hour, or a day for long periods) of the team's clock."""

    bucket: str  # "hour" or "day"
    buckets: list[tuple[float, dict[str, int]]]  # (bucket start, network -> posts), oldest first


class Report(msgspec.Struct, frozen=True):
    """The figures of a period, the previous period's, a breakdown, volume by hour, and the backlog."""

    period: Period
    figures: Figures
    previous: Figures
    by: str | None
    groups: dict[str, Figures]
    volume: Volume
    backlog: mq.Backlog
    generated_at: float


def queue_filters(settings: Settings) -> list[tuple[str, PostFilter]]:
    """The playbook's saved queues as (name, filter) for the agent at the keyboard."""
    from socialdesk.services.playbook import load_playbook
    from socialdesk.services.queue import load_queues

    desk = settings.desk
    return [(q.name, q.filter(desk.agent)) for q in load_queues(load_playbook(desk.playbook))]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (0.9: p90) of `values`; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Metrics:
    """Computes reports from the cache; `queues` gives the saved queues' filters for `by="queue"`."""

    def __init__(
        self,
        store: Store,
        hours: BusinessHours = ALWAYS,
        queues: Callable[[], Iterable[tuple[str, PostFilter]]] = lambda: (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.hours = hours
        self.queues = queues
        self.clock = clock

    def report(self, period: Period, by: str | None = None) -> Report:
        """The figures for `period` compared with the one before, optionally broken down `by`."""
        if by is not None and by not in GROUPINGS:
            raise UserError(f"--by {by!r}: choose one of {', '.join(GROUPINGS)}")
        now = min(self.clock(), period.until)
        conn = self.store.conn
        prev = period.previous()
        business = not self.hours.always_open
        calendar = None
        if business:
            lo, hi = mq.calendar_bounds(conn, period.since, period.until)
            before_lo, before_hi = mq.calendar_bounds(conn, prev.since, prev.until)
            calendar = self.hours.open_intervals(min(lo, before_lo), max(hi, before_hi, now))
        mq.prepare(conn, calendar)
        # The rollups answer what does not hang on the calendar or a saved queue's filter (README, "Metrics").
        fast = not business and rollups.usable(prev.since)
        if fast:
            self.rebuild_stale(REBUILD_SECONDS)
        figures = self._figures(self._found(period.since, period.until, now, fast, business))
        previous = self._figures(self._found(prev.since, prev.until, prev.until, fast, business))
        groups: dict[str, Figures] = {}
        if by is not None:
            by_network = fast and by == "network"
            rolled = self._by_network(period, now) if by_network else None
            if rolled is not None:
                names, found = rolled
            else:
                queues = list(self.queues()) if by == "queue" else []
                names = mq.fill_scope(conn, by, period.since, period.until, queues)
                found = mq.figures(
                    conn, period.since, period.until, now, by, business, SATISFIED, posts=not by_network
                )
                if by_network:  # the status changes' rollups no longer answer; the posts' still do
                    for name, values in rollups.figures(conn, period.since, period.until, now, True).items():
                        found.setdefault(name, {}).update(values)
            groups = {name: self._figures(found, name) for name in names}
        return Report(
            period, figures, previous, by, groups, self._volume(period, fast),
            rollups.backlog(conn, self.clock()), self.clock(),
        )  # fmt: skip

    def rebuild_stale(self, seconds: float, stop: Callable[[], bool] = lambda: False) -> bool:
        """Rebuild the status changes' rollups a change out of the log's order (or a post with changes
        going or moving, a status change edited or deleted) left stale, a batch per write transaction,
        for about `seconds` at most or until `stop()`; return whether they answer again. A report calls
        it first: never call it on the UI thread."""
        if not metrics_rebuild.stale(self.store.conn):
            return True
        deadline = time.monotonic() + seconds
        while True:
            with self.store.transaction() as conn:
                if metrics_rebuild.rebuild(conn, REBUILD_CHANGES):
                    return True
            if time.monotonic() >= deadline or stop():
                return False

    def _by_network(
        self, period: Period, now: float
    ) -> tuple[list[str], dict[str, dict[str, object]]] | None:
        """The groups' names and figures of the breakdown by network, from the rollups (None when the
        status changes' rollups no longer answer). A network's scope is its posts of the period and the
        posts whose survey answers fall in it."""
        conn = self.store.conn
        events = pairs.figures(conn, period.since, period.until)
        if events is None:
            return None
        found = rollups.figures(conn, period.since, period.until, now, True)
        names = set(found) - {mq.OVERALL}  # the networks with posts in the period
        answers = mq.answers_by_network(conn, period.since, period.until, SATISFIED)
        names.update(answers)
        for values in (events, answers):
            for name, more in values.items():
                found.setdefault(name, {}).update(more)
        return sorted(names), found

    def _found(
        self, since: float, until: float, now: float, fast: bool, business: bool
    ) -> dict[str, dict[str, object]]:
        """The overall figures of [since, until) (mq.OVERALL), from the rollups when `fast`."""
        conn = self.store.conn
        if not fast:
            return mq.figures(conn, since, until, now, None, business, SATISFIED)
        found = mq.figures(conn, since, until, now, None, business, SATISFIED, posts=False, events=False)
        overall = found.setdefault(mq.OVERALL, {})
        overall.update(rollups.figures(conn, since, until, now).get(mq.OVERALL, {}))
        changes = rollups.changes(conn, since, until)
        if changes is None:  # the log no longer matches its rollup: today's statement
            changes = mq.figures(conn, since, until, now, None, business, SATISFIED, posts=False).get(
                mq.OVERALL, {}
            )
            changes = {k: v for k, v in changes.items() if k.startswith(("resol", "reopen"))}
        overall.update(changes)
        replies = rollups.replies(conn, since, until)
        if replies:
            overall["replies"] = replies
        if not overall:
            del found[mq.OVERALL]
        return found

    @staticmethod
    def _figures(found: dict[str, dict[str, object]], group: str = mq.OVERALL) -> Figures:
        """One group's figures from the rows SQL computed (a group with no rows has none)."""
        return Figures(**found.get(group, {}))  # type: ignore[arg-type]

    def _volume(self, period: Period, fast: bool) -> Volume:
        """Posts per network in each hour of the period (each day for periods over two days)."""
        zone = self.hours.zone
        daily = period.until - period.since > 2 * 86400
        starts: list[float] = []
        at = dt.datetime.fromtimestamp(period.since, zone)
        at = (
            at.replace(hour=0, minute=0, second=0, microsecond=0)
            if daily
            else at.replace(minute=0, second=0, microsecond=0)
        )
        while at.timestamp() < period.until:
            starts.append(at.timestamp())
            if daily:
                at = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(), zone)
            else:
                at = dt.datetime.fromtimestamp(at.timestamp() + 3600, zone)
        # The first bucket starts on the hour (or midnight) but holds only the period's posts.
        edges = [max(starts[0], period.since), *starts[1:]]
        counts = (rollups.volume if fast else mq.volume)(self.store.conn, edges, period.until)
        return Volume("day" if daily else "hour", list(zip(starts, counts, strict=True)))
