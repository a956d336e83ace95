"""The figures SQL computes are the ones the Python definitions give, on random caches (business hours
over a DST change, reopened and undone cases), and no metrics query reads the posts table's rows."""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from socialdesk.services.hours import ALWAYS, parse_hours
from socialdesk.services.metrics import GROUPINGS, Metrics, Period, Report
from socialdesk.store import Store
from socialdesk.store.queries import PostFilter
from tests.metrics.fixtures import a_day, post, reply, status
from tests.metrics.reference import ReferenceMetrics

BERLIN = ZoneInfo("Europe/Berlin")
AUTUMN = dt.datetime(2026, 10, 24, tzinfo=BERLIN).timestamp()  # Saturday; the clocks go back on Sunday
HOURS = {
    "always": ALWAYS,
    "office": parse_hours(
        "Europe/Berlin",
        {"weekdays": "09:00-12:00, 13:00-17:30", "sun": "10:00-14:00"},
        ["2026-10-27"],
        "test",
    ),
    "berlin around the clock": parse_hours("Europe/Berlin", {}, [], "test"),
}
QUEUES = [
    ("Negative", PostFilter(("p.sentiment_label = ?",), ("negative",))),
    ("Refunds", PostFilter(("p.id IN (SELECT post_id FROM post_tags WHERE tag = ?)",), ("refund",))),
    ("Nothing", PostFilter(("p.priority = ?",), (9,))),
]


def random_cache(store: Store, seed: int) -> None:
    """Five days of posts around the autumn change, with answers, replies, status changes and surveys."""
    rng = random.Random(seed)
    networks, agents = ("x", "mastodon", "bluesky"), ("ann", "bob", "", "carl")
    statuses = ("new", "open", "escalated", "pending", "resolved", "closed")
    conn = store.conn
    for n in range(rng.randrange(0, 60)):
        created = AUTUMN - 2 * 86400 + rng.randrange(0, 5 * 86400)
        post_id = post(
            store,
            f"{seed}-{n}",
            rng.choice(networks),
            created,
            rng.choice(("positive", "neutral", "negative", "")),
            actionable=rng.random() < 0.8,
            due_in=rng.choice((None, 900, 3600, 4 * 3600)),
            status=rng.choice(statuses),
        )
        if rng.random() < 0.6:
            answered = created + rng.randrange(0, 3 * 86400)
            conn.execute("UPDATE posts SET first_response_at = ? WHERE id = ?", (answered, post_id))
        if rng.random() < 0.3:
            tag = rng.choice(("refund", "vip"))
            conn.execute("INSERT INTO post_tags (post_id, tag) VALUES (?, ?)", (post_id, tag))
        at = created
        for _ in range(rng.choice((0, 0, 1, 2, 4))):  # sent, taken back, still queued; threads of parts
            at += rng.randrange(0, 86400)
            state = rng.choice(("sent", "sent", "discarded", "queued"))
            reply(store, post_id, "x", rng.choice(agents), at, state=state, part=rng.choice((1, 1, 2)))
        at = created
        for _ in range(rng.choice((0, 1, 2, 3, 5))):  # resolved, reopened, resolved again ...
            at += rng.randrange(0, 20 * 3600)
            value = rng.choice(("resolved", "resolved", "open", "new", "pending"))
            status(store, post_id, value, rng.choice(agents[:2]), at)
        if rng.random() < 0.2:
            conn.execute(
                "INSERT INTO survey_answers (post_id, score, comment, answered_at, imported_at) "
                "VALUES (?, ?, '', ?, 0)",
                (post_id, rng.randrange(1, 6), created + rng.randrange(0, 2 * 86400)),
            )


def same(sql: Report, python: Report) -> None:
    assert sql.figures.as_dict() == python.figures.as_dict()
    assert sql.previous.as_dict() == python.previous.as_dict()
    assert {k: g.as_dict() for k, g in sql.groups.items()} == {
        k: g.as_dict() for k, g in python.groups.items()
    }
    assert sql.volume == python.volume and sql.backlog == python.backlog


@pytest.mark.parametrize("hours", list(HOURS))
def test_sql_gives_the_figures_the_definitions_give_on_random_caches(hours: str, tmp_path: Path) -> None:
    calendar = HOURS[hours]
    now = AUTUMN + 2 * 86400 + 3600
    for seed in range(12):
        store = Store(tmp_path / f"{hours}-{seed}.db")
        random_cache(store, seed)
        sql = Metrics(store, calendar, queues=lambda: QUEUES, clock=lambda: now)
        python = ReferenceMetrics(store, calendar, queues=lambda: QUEUES, clock=lambda: now)
        for period in (
            Period(AUTUMN, AUTUMN + 86400, "Saturday"),
            Period(AUTUMN + 86400, AUTUMN + 2 * 86400 + 3600, "Sunday and the change"),
            Period(AUTUMN - 86400, now, "4d"),
        ):
            for by in (None, *GROUPINGS):
                same(sql.report(period, by), python.report(period, by))
        store.close()


# -- the plans ------------------------------------------------------------------------------------

_ALIAS = re.compile(r"\bposts\s+(?:AS\s+)?(\w+)", re.IGNORECASE)
_NOT_ALIASES = {"INDEXED", "WHERE", "ON", "JOIN", "CROSS", "LEFT", "GROUP", "ORDER", "LIMIT", "SET"}


def table_reads(conn: sqlite3.Connection, statements: list[str], allowed: set[str]) -> list[str]:
    """Steps of these statements' plans that read posts other than through a covering index or its
    primary key: a scan, or a search whose index sends each match back to the table for its row.
    `allowed`: indexes that may do so (a saved queue's filter may test any column)."""
    found = []
    for sql in statements:
        if not re.match(
            r"\s*(SELECT|WITH|INSERT OR IGNORE INTO temp\.metrics_scope \(grp, post_id\) SELECT)", sql, re.I
        ):
            continue
        names = {"posts"} | {m for m in _ALIAS.findall(sql) if m.upper() not in _NOT_ALIASES}
        for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql):
            step = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (.*))?", detail)
            if step is None or step.group(2) not in names:
                continue
            how = step.group(3) or ""
            index = re.search(r"INDEX (\w+)", how)
            if index and index.group(1) in allowed:
                continue
            if step.group(1) == "SCAN" and index and index.group(1) == "posts_backlog":
                continue  # the index holds only the open actionable posts: the backlog itself
            if step.group(1) == "SCAN" or not ("COVERING INDEX" in how or "PRIMARY KEY" in how):
                found.append(f"{detail}  <-  {sql[:160]}")
    return found


def statements_of(conn: sqlite3.Connection, run: Callable[[], object]) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    return seen


@pytest.fixture
def day_store(store: Store) -> Iterator[Store]:
    a_day(store)
    store.conn.execute("ANALYZE")  # plans on a cache with statistics, as a used one has
    yield store


@pytest.mark.parametrize("hours", ["always", "office"])
def test_no_metrics_query_reads_rows_of_the_posts_table(day_store: Store, hours: str) -> None:
    from tests.metrics.fixtures import NOW, T0

    metrics = Metrics(day_store, HOURS[hours], queues=lambda: QUEUES, clock=lambda: NOW)
    conn = day_store.conn

    def reports() -> None:
        for by in (None, *GROUPINGS):
            metrics.report(Period(T0, T0 + 86400, "day"), by)

    seen = statements_of(conn, reports)
    assert any("posts_metrics" in s for s in seen)
    queue_filters = [s for s in seen if "INDEXED BY posts_feed" in s]
    assert table_reads(conn, [s for s in seen if s not in queue_filters], set()) == []
    assert table_reads(conn, queue_filters, {"posts_feed"}) == []  # a queue's filter: no scan either


def test_the_plan_check_catches_reads_of_the_table(day_store: Store) -> None:
    """The check above is not vacuous: the Python-side metrics it replaced read rows of posts."""
    from tests.metrics.fixtures import NOW, T0

    old = ReferenceMetrics(day_store, clock=lambda: NOW)
    conn = day_store.conn
    seen = statements_of(conn, lambda: old.report(Period(T0, T0 + 86400, "day")))
    found = table_reads(conn, seen, set())
    # Its period read sent each post back to the table; its status changes' join scanned the posts.
    assert any(f.startswith("SEARCH posts USING INDEX posts_feed") for f in found)
    assert any(f.startswith("SCAN p ") for f in found)


def test_a_report_leaves_a_callers_transaction_open(store: Store) -> None:
    from tests.metrics.fixtures import NOW, T0

    conn = store.conn
    conn.execute("BEGIN")
    post(store, "pending", "x", T0 + 60, "neutral")
    Metrics(store, HOURS["office"], clock=lambda: NOW).report(Period(T0, T0 + 86400, "day"), by="network")
    assert conn.in_transaction
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0
