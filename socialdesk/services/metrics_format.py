"""The metrics report as text: a terminal table, Markdown for an e-mail, CSV and JSON for scripts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from socialdesk.sanitize import clean
from socialdesk.services.metrics import Figures, Report

FORMATS = ("table", "md", "csv", "json")

# (label, key in Figures.as_dict(), how to show it)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("Posts received", "volume", "count"),
    ("Actionable", "actionable", "count"),
    ("Actionable share", "actionable_share", "percent"),
    ("Answered", "answered", "count"),
    ("First response, median", "first_response_median_s", "duration"),
    ("First response, p90", "first_response_p90_s", "duration"),
    ("Resolved", "resolved", "count"),
    ("Resolution, median", "resolution_median_s", "duration"),
    ("Resolution, p90", "resolution_p90_s", "duration"),
    ("Reopened", "reopened", "count"),
    ("SLA met", "sla_met", "count"),
    ("SLA missed", "sla_missed", "count"),
    ("SLA attainment", "sla_attainment", "percent"),
    ("Replies sent", "replies", "count"),
    ("Survey answers", "csat_responses", "count"),
    ("Satisfaction (1-5)", "csat_average", "score"),
    ("Satisfied (4-5)", "csat_share_satisfied", "percent"),
)
GROUP_COLUMNS = ("volume", "actionable_share", "first_response_median_s", "resolution_median_s",
                 "sla_attainment", "replies", "csat_average")  # fmt: skip


def duration(seconds: float | None) -> str:
    """12s, 14m, 2h 05m, 3d 4h; a dash for none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def show(value: object, kind: str) -> str:
    """A figure as people read it."""
    if value is None:
        return "-"
    if kind == "percent":
        return f"{float(value):.0%}"  # type: ignore[arg-type]
    if kind == "duration":
        return duration(float(value))  # type: ignore[arg-type]
    if kind == "score":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    return f"{value:,}" if isinstance(value, int) else str(value)


def change(now: object, before: object, kind: str) -> str:
    """How a figure moved since the previous period (percentage points for shares)."""
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return ""
    if kind == "percent":
        return f"{(now - before) * 100:+.0f} pt"
    if kind == "score":
        return f"{now - before:+.2f}"
    if before == 0:
        return "new" if now else ""
    return f"{(now - before) / before:+.0%}"


def _when(ts: float, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(ts, zone).isoformat(timespec="minutes")


def as_json(report: Report, zone: ZoneInfo) -> str:
    """The report as one JSON object (keys documented in the README, "Metrics")."""
    data = {
        "period": {
            "since": _when(report.period.since, zone),
            "until": _when(report.period.until, zone),
            "label": report.period.label,
            "timezone": zone.key,
            "previous_since": _when(report.period.previous().since, zone),
            "previous_until": _when(report.period.previous().until, zone),
        },
        "figures": report.figures.as_dict(),
        "previous": report.previous.as_dict(),
        "by": report.by,
        "groups": {name: figures.as_dict() for name, figures in report.groups.items()},
        "volume": {
            "bucket": report.volume.bucket,
            "buckets": [{"start": _when(s, zone), "posts": c} for s, c in report.volume.buckets],
        },
        "backlog": {
            "size": report.backlog.size,
            "oldest": None if report.backlog.oldest is None else _when(report.backlog.oldest, zone),
            "older_than_hour": report.backlog.older_than_hour,
            "older_than_day": report.backlog.older_than_day,
        },
        "generated_at": _when(report.generated_at, zone),
    }
    return json.dumps(data, ensure_ascii=True, indent=2)


def _flat(figures: Figures) -> dict[str, object]:
    flat = figures.as_dict()
    sentiment = flat.pop("sentiment")
    assert isinstance(sentiment, dict)
    return {**flat, **{f"sentiment_{k}": v for k, v in sentiment.items()}}


def as_csv(report: Report) -> str:
    """One row for the whole period, then one per group."""
    rows = [{"group": "all", **_flat(report.figures)}]
    rows += [{"group": clean(name), **_flat(f)} for name, f in report.groups.items()]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _md_cell(text: str) -> str:
    return clean(text).replace("|", "\\|")


def as_markdown(report: Report, zone: ZoneInfo) -> str:
    """Tables a manager can paste into an e-mail: the figures against the previous period, then groups."""
    period = report.period
    since, until = _when(period.since, zone), _when(period.until, zone)
    before = period.previous()
    lines = [
        f"**Social care, {since} to {until}** ({zone.key}; previous: {_when(before.since, zone)} to "
        f"{_when(before.until, zone)})",
        "",
        "| Figure | This period | Previous | Change |",
        "| --- | ---: | ---: | ---: |",
        *(f"| {' | '.join(row)} |" for row in as_table_rows(report)),
    ]
    backlog = report.backlog
    lines += [
        "",
        f"Backlog now: {backlog.size:,} open (older than 1 h: {backlog.older_than_hour:,}; "
        f"older than 1 day: {backlog.older_than_day:,}).",
    ]
    if report.groups:
        header, rows = group_rows(report)
        lines += ["", f"| {' | '.join(header)} |", "| --- |" + " ---: |" * len(GROUP_COLUMNS)]
        lines += [f"| {' | '.join(_md_cell(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines) + "\n"


def _kind(key: str) -> str:
    return next(kind for _, k, kind in ROWS if k == key)


def _label(key: str) -> str:
    return next(label for label, k, _ in ROWS if k == key)


def _group_cells(figures: Figures) -> Iterator[str]:
    values = figures.as_dict()
    for key in GROUP_COLUMNS:
        yield show(values[key], _kind(key))


def as_table_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """(figure, this period, previous, change) rows for a terminal table."""
    now, before = report.figures.as_dict(), report.previous.as_dict()
    return [
        (label, show(now[k], kind), show(before[k], kind), change(now[k], before[k], kind))
        for label, k, kind in ROWS
    ]


def group_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the breakdown (names cleaned of control characters)."""
    header = [str(report.by).capitalize(), *(_label(k) for k in GROUP_COLUMNS)]
    return header, [[clean(name), *_group_cells(f)] for name, f in report.groups.items()]
