"""`socialdesk report`: JSON with stable keys, Markdown a manager can paste, CSV, a table, clear errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from socialdesk.store import Store
from tests.cli_run import run
from tests.metrics.fixtures import DAY, T0, a_day

FIGURE_KEYS = {
    "volume", "actionable", "actionable_share", "sentiment", "answered", "first_response_median_s",
    "first_response_p90_s", "resolved", "resolution_median_s", "resolution_p90_s", "reopened", "sla_met",
    "sla_missed", "sla_attainment", "replies", "csat_responses", "csat_average", "csat_share_satisfied",
}  # fmt: skip


def when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="minutes")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cache.db"
    store = Store(path)
    ids = a_day(store)
    store.conn.execute(
        "INSERT INTO post_tags (post_id, tag) VALUES (?, ?)", (ids["p1"], "[red]outage\x1b[2J")
    )
    store.conn.commit()
    store.close()
    return path


def report(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    span = ("--since", when(T0), "--until", when(T0 + DAY))
    return run(capsys, "--db", str(db), "--config", "/dev/null", "report", *span, *args)


def test_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, err = report(capsys, db, "--format", "json", "--by", "network")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"period", "figures", "previous", "by", "groups", "volume", "backlog", "generated_at"}
    assert set(data["period"]) == {"since", "until", "label", "timezone", "previous_since", "previous_until"}
    assert data["period"]["previous_until"] == data["period"]["since"]  # 7 days: the 7 days before
    assert set(data["figures"]) == FIGURE_KEYS and set(data["previous"]) == FIGURE_KEYS
    assert data["figures"]["volume"] == 5 and data["figures"]["first_response_median_s"] == 3000
    assert set(data["groups"]) == {"bluesky", "mastodon", "x"}
    assert data["volume"]["bucket"] == "hour" and len(data["volume"]["buckets"]) == 24
    assert set(data["backlog"]) == {"size", "oldest", "older_than_hour", "older_than_day"}


def test_markdown_is_a_table_to_paste(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = report(capsys, db, "--format", "md", "--by", "tag")
    assert code == 0
    assert "| Figure | This period | Previous | Change |" in out
    assert "| First response, median | 50m | - |  |" in out
    # The CLI's clock is today's: p5 is past its target by now as well.
    assert "| SLA attainment | 25% | 0% | +25 pt |" in out
    assert "\x1b" not in out and "[red]outage" in out  # a tag from a post: shown, escape removed


def test_csv_has_a_row_per_group(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = report(capsys, db, "--format", "csv", "--by", "agent")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["group"] for r in rows] == ["all", "ann", "bob"]
    assert rows[0]["volume"] == "5" and rows[0]["sentiment_negative"] == "2"


def test_table_shows_names_as_plain_text(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, out, _ = report(capsys, db, "--by", "tag")
    assert code == 0 and "Posts received" in out and "[red]outage" in out and "\x1b" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf"), "--format 'pdf'"),
        (("--by", "team"), "--by 'team'"),
    ],
)
def test_bad_options_are_one_line(
    capsys: pytest.CaptureFixture[str], db: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = report(capsys, db, *args)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_a_bad_period_is_one_line(capsys: pytest.CaptureFixture[str], db: Path) -> None:
    code, _, err = run(capsys, "--db", str(db), "--config", "/dev/null", "report", "--since", "lastweek")
    assert code == 1 and "--since 'lastweek' is not a date" in err
