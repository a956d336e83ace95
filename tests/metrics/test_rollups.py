"""The metrics read from their rollups are the ones today's statements give: on random caches built
through the write paths (posts arriving, answered, replies sent and taken back, resolved twice,
reopened, across networks, quarter-hour and day edges, time zones off the hour), and after each path
that changes a figure. Dropping one trigger makes the comparison fail."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialdesk.models import Author, Post
from socialdesk.services.metrics import GROUPINGS, Metrics, Period, Report
from socialdesk.store import Store, Triage, queue_queries, replies, reply_moves
from socialdesk.store import metrics_rollups as rollups
from socialdesk.store.first_response import answered_in_batch
from socialdesk.store.ingest import store_posts
from socialdesk.store.queries import PostFilter
from tests.metrics.plans import plans_of

KEYS = itertools.count()
T0 = 1_795_000_000.0 - 1_795_000_000.0 % 86400  # a UTC midnight
DAY0 = int(T0 // 86400)
QUEUES = [("Negative", PostFilter(("p.sentiment_label = ?",), ("negative",)))]
ZONES = [ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Asia/Kathmandu"), ZoneInfo("America/St_Johns")]

# Times near the edges a rollup cuts at (quarter-hours, days) and anywhere in four days.
offsets = st.one_of(
    st.floats(0, 4 * 86400, allow_nan=False),
    st.sampled_from(
        [0.0, 900.0, 899.999999, 86400.0, 86400 - 1e-6, 86400 + 1e-6, 2 * 86400.0, 19800.0, 20700.0]
    ),
)


def statement_report(
    metrics: Metrics, period: Period, by: str | None, monkeypatch: pytest.MonkeyPatch
) -> Report:
    """The report as today's statements compute it (the rollups declared unusable)."""
    with monkeypatch.context() as patch:
        patch.setattr(rollups, "usable", lambda since: False)
        return metrics.report(period, by)


def same(fast: Report, slow: Report) -> None:
    assert fast.figures.as_dict() == slow.figures.as_dict()
    assert fast.previous.as_dict() == slow.previous.as_dict()
    assert {k: g.as_dict() for k, g in fast.groups.items()} == {
        k: g.as_dict() for k, g in slow.groups.items()
    }
    assert fast.volume == slow.volume
    assert fast.backlog == slow.backlog


def arrive(store: Store, native: str, network: str, at: float, sentiment: str, actionable: bool,
           due_in: float | None, status: str) -> int:  # fmt: skip
    """A customer post stored as sync stores it (ingest, with its triage)."""
    stored = store_posts(
        store, "test",
        [Post(network, native, Author(f"a{native}", f"u{native}"), f"words {native}", at, account="brand")],
        [Triage(status=status, sentiment_label=sentiment, actionable=actionable,
                due_at=None if due_in is None else at + due_in)],
    )  # fmt: skip
    return stored.inserted[0]


def change_status(store: Store, post_id: int, value: str, at: float) -> None:
    """An agent's status change: the post's status and the audit log's entry."""
    queue_queries.set_status(store.conn, [post_id], value, at=at)
    store.conn.execute(
        "INSERT INTO audit (at, agent, action, post_id, detail) VALUES (?, 'ann', 'status', ?, ?)",
        (at, post_id, json.dumps({"status": value})),
    )


def send_reply(store: Store, post_id: int, network: str, at: float, parts: int, fate: str) -> None:
    """A reply written, then sent (the post's first response), or discarded, or left in the outbox."""
    conn = store.conn
    ids = reply_moves.insert(
        conn, post_id, network, "brand", ["ok"] * parts, [f"k{next(KEYS)}" for _ in range(parts)],
        state="queued", agent="ann", dm=False, group_key=None, send_after=at, now=at - 30,
    )  # fmt: skip
    for reply_id in ids:
        row = replies.get(conn, reply_id)
        assert row is not None
        if fate == "sent":
            assert reply_moves.claim(conn, row, at - 1)
            assert reply_moves.mark_sent(conn, row, f"r{reply_id}", "", {}, at)
        elif fate == "discarded":
            assert reply_moves.discard(conn, [reply_id], at) == 1


post_specs = st.lists(
    st.tuples(
        offsets,  # arrival
        st.sampled_from(["x", "mastodon", "bluesky"]),
        st.sampled_from(["positive", "neutral", "negative", "", "mixed"]),
        st.booleans(),  # actionable
        st.sampled_from([None, 0.0, 900.0, 14400.0, -60.0]),  # SLA target
        st.sampled_from(["new", "open", "escalated", "pending", "resolved", "closed"]),
        st.one_of(st.none(), st.floats(0, 2 * 86400, allow_nan=False)),  # answered after
        st.lists(
            st.tuples(
                st.floats(0, 86400, allow_nan=False), st.sampled_from(["resolved", "open", "new", "pending"])
            ),
            max_size=4,
        ),
        st.lists(
            st.tuples(
                st.floats(0, 86400, allow_nan=False),
                st.integers(1, 2),
                st.sampled_from(["sent", "discarded", "queued"]),
            ),
            max_size=2,
        ),
        st.sampled_from(["", "refund"]),
    ),
    max_size=25,
)


def build(store: Store, specs: list[tuple]) -> None:  # type: ignore[type-arg]
    for n, (at, network, sentiment, actionable, due_in, status, answer, changes, sends, tag) in enumerate(
        specs
    ):
        created = T0 + at
        post_id = arrive(store, str(n), network, created, sentiment, actionable, due_in, status)
        if tag:
            queue_queries.add_tag(store.conn, [post_id], tag)
        if answer is not None:
            store.conn.execute(
                "UPDATE posts SET first_response_at = ? WHERE id = ?", (created + answer, post_id)
            )
        when = created
        for delay, value in changes:  # the log in order, as the desk writes it
            when += delay
            change_status(store, post_id, value, when)
        for delay, parts, fate in sends:
            send_reply(store, post_id, network, created + delay, parts, fate)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=post_specs,
    start=offsets,
    length=st.sampled_from([3600.0, 86400.0, 2 * 86400.0, 1.5 * 86400 + 123.25]),
    now_after=st.floats(-3600, 2 * 86400, allow_nan=False),
    zone=st.sampled_from(ZONES),
    by=st.sampled_from([None, *GROUPINGS]),
)
def test_the_rollups_give_the_reports_the_statements_give(
    specs: list[tuple],  # type: ignore[type-arg]
    start: float,
    length: float,
    now_after: float,
    zone: ZoneInfo,
    by: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from socialdesk.services.hours import parse_hours

    store = Store(":memory:")
    build(store, specs)
    hours = parse_hours(zone.key, {}, [], "test")  # around the clock, in a zone off the hour
    until = T0 + start + length
    metrics = Metrics(store, hours, queues=lambda: QUEUES, clock=lambda: until + now_after)
    local_midnight = dt.datetime.combine(
        dt.datetime.fromtimestamp(T0 + start, zone).date(), dt.time(), zone
    ).timestamp()
    for period in (Period(T0 + start, until, "p"), Period(local_midnight, local_midnight + length, "local")):
        same(metrics.report(period, by), statement_report(metrics, period, by, monkeypatch))
    store.close()


@pytest.fixture
def busy(tmp_path: object) -> Iterator[Store]:
    store = Store(":memory:")
    build(
        store,
        [
            (
                100.0,
                "x",
                "negative",
                True,
                900.0,
                "open",
                600.0,
                [(700.0, "resolved"), (50.0, "open"), (10.0, "resolved")],
                [(650.0, 2, "sent")],
                "refund",
            ),
            (
                86400.0 - 1e-6,
                "mastodon",
                "mixed",
                True,
                14400.0,
                "new",
                None,
                [(90000.0, "resolved")],
                [],
                "",
            ),
            (
                86400.0 + 5.5,
                "bluesky",
                "positive",
                False,
                None,
                "resolved",
                None,
                [],
                [(1.0, 1, "discarded")],
                "",
            ),
            (3 * 3600.0 + 0.25, "x", "negative", True, 900.0, "escalated", None, [], [], ""),
        ],
    )
    yield store
    store.close()


def first_post(store: Store) -> int:
    return int(store.conn.execute("SELECT min(id) FROM posts").fetchone()[0])


def check(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = Metrics(store, clock=lambda: T0 + 3 * 86400 + 77.0)
    for period in (Period(T0, T0 + 2 * 86400, "2d"), Period(T0 + 450.5, T0 + 86400 + 900, "odd")):
        for by in (None, "network"):
            same(metrics.report(period, by), statement_report(metrics, period, by, monkeypatch))


def test_each_write_path_keeps_the_rollups_right(busy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    check(busy, monkeypatch)
    conn = busy.conn
    later = arrive(busy, "late", "x", T0 + 7200.0, "neutral", True, 900.0, "new")  # ingest
    check(busy, monkeypatch)
    send_reply(busy, later, "x", T0 + 9000.0, 1, "sent")  # a reply sent answers it
    check(busy, monkeypatch)
    change_status(busy, later, "resolved", T0 + 9100.0)  # resolved, reopened, resolved again
    change_status(busy, later, "open", T0 + 9200.0)
    change_status(busy, later, "resolved", T0 + 9300.0)
    check(busy, monkeypatch)
    conn.execute(
        "UPDATE posts SET actionable = 0, sentiment_label = 'positive' WHERE id = ?", (later,)
    )  # retriage
    check(busy, monkeypatch)
    # No write path moves a sent reply or deletes one; the triggers follow them all the same.
    conn.execute("UPDATE replies SET state = 'failed' WHERE post_id = ?", (later,))
    check(busy, monkeypatch)
    conn.execute("DELETE FROM replies WHERE post_id = ?", (first_post(busy),))
    check(busy, monkeypatch)


def test_a_batch_holding_our_replies_stores_each_post_with_its_first_response(
    busy: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The earliest of our replies in the batch not before the post answers it, written with the post
    (no UPDATE of the row just inserted); a post stored earlier is answered as before."""
    at = T0 + 5000.0

    def ours(native: str, when: float, parent: str) -> Post:
        brand = Author("brand-id", "acme")
        return Post("x", native, brand, "on it", when, account="brand", in_reply_to=parent, is_ours=True)

    def customer(native: str, when: float) -> Post:
        return Post("x", native, Author(f"a{native}", f"u{native}"), "where is it", when, account="brand")

    arrive(busy, "asked-before", "x", at - 900.0, "negative", True, 900.0, "new")
    batch = [
        ours("r1", at + 600.0, "asked"),  # a reply may come before its post in a page
        customer("asked", at),
        ours("r2", at + 300.0, "asked"),  # the earliest at or after the post wins
        ours("r0", at - 100.0, "asked"),  # before the post: not an answer to it
        customer("same-second", at + 50.0),
        ours("r3", at + 50.0, "same-second"),  # in the same second: it answers
        customer("unanswered", at + 60.0),
        ours("r4", at + 700.0, "asked-before"),  # a post an earlier batch stored
    ]
    # What the INSERT writes (the UPDATE of the new posts by stored replies would mend some of it).
    assert answered_in_batch(batch) == {
        ("x", "asked", at): at + 300.0,
        ("x", "same-second", at + 50.0): at + 50.0,
    }
    triage = Triage(sentiment_label="negative", actionable=True, due_at=at + 900.0)
    statements: list[str] = []
    busy.conn.set_trace_callback(statements.append)
    busy.upsert_posts(batch, [triage] * len(batch))
    busy.conn.set_trace_callback(None)
    answered = dict(busy.conn.execute("SELECT native_id, first_response_at FROM posts WHERE is_ours = 0"))
    assert (answered["asked"], answered["same-second"]) == (at + 300.0, at + 50.0)
    assert answered["unanswered"] is None and answered["asked-before"] == at + 700.0
    # (the trace repeats a statement for each trigger it runs)
    updates = {s for s in statements if "UPDATE posts SET first_response_at = " in s and "WHERE network" in s}
    assert len(updates) == 1 and "'asked-before'" in updates.pop()  # only the post stored before
    check(busy, monkeypatch)


def test_a_status_change_out_of_the_logs_order_is_rebuilt_by_the_next_report(
    busy: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(tests/metrics/test_stale_rebuild.py holds every cause of staleness on larger caches.)"""
    conn = busy.conn
    change_status(busy, first_post(busy), "resolved", T0 + 300.0)  # before the changes already logged for it
    assert conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0] == 1
    check(busy, monkeypatch)
    assert conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0] == 0


def test_the_comparison_fails_when_a_trigger_is_missing(busy: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not vacuous: without the trigger that follows a reply's state, a reply taken back still counts."""
    conn = busy.conn
    conn.execute("DROP TRIGGER metrics_replies_update")
    conn.execute("UPDATE replies SET state = 'failed' WHERE state = 'sent'")
    with pytest.raises(AssertionError):
        check(busy, monkeypatch)


def test_the_migration_backfills_what_the_triggers_keep(busy: Store) -> None:
    """A cache from before the rollups gets from the migration's backfill the sums the triggers keep
    (rows the triggers emptied aside, and the open posts' largest target, which only ever grows)."""
    from socialdesk.store.metrics_arrival_schema import MIGRATION as ARRIVALS
    from socialdesk.store.metrics_repeat_schema import MIGRATION as REPEATS
    from socialdesk.store.metrics_rollup_schema import MIGRATION
    from socialdesk.store.metrics_tenths_schema import MIGRATION as TENTHS
    from socialdesk.store.migrate import statements

    conn = busy.conn

    def sums() -> dict[str, list[tuple[object, ...]]]:
        found = {}
        for table, counted in TABLES.items():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "max_target"]
            found[table] = conn.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {counted} != 0 ORDER BY {', '.join(columns)}"
            ).fetchall()
        return found

    kept = sums()
    assert all(kept.values())
    for table in (*TABLES, "metrics_stale"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP INDEX posts_response_fine")
    migrations = [MIGRATION, REPEATS, ARRIVALS, TENTHS]
    for statement in [s for migration in migrations for s in statements(migration)]:  # triggers kept
        if not statement.startswith(("CREATE TRIGGER", "DROP TRIGGER")):
            conn.execute(statement)
    assert sums() == kept


def test_a_repeat_the_same_day_is_left_out_of_the_day_histograms_and_never_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A post resolved twice in one day counts once in a report of whole days, as does one resolved
    again the next day (its repeat across midnight is taken away through the index of those): the
    figures the statements give, and the histograms hold the first resolutions and the repeats across
    midnight only."""
    store = Store(":memory:")
    same_day = arrive(store, "a", "x", T0 + 100.0, "neutral", True, None, "open")
    for at, value in ((T0 + 700.0, "resolved"), (T0 + 800.0, "open"), (T0 + 1000.0, "resolved")):
        change_status(store, same_day, value, at)
    overnight = arrive(store, "b", "mastodon", T0 + 86400 - 500.0, "neutral", True, None, "open")
    for at, value in (
        (T0 + 86400 - 100.0, "resolved"),
        (T0 + 86400 + 50.0, "open"),
        (T0 + 86400 + 400.0, "resolved"),
    ):
        change_status(store, overnight, value, at)
    conn = store.conn
    assert conn.execute("SELECT day, n FROM metrics_resolution_fine ORDER BY day").fetchall() == [
        (DAY0, 1), (DAY0, 1), (DAY0 + 1, 1)
    ]  # fmt: skip
    metrics = Metrics(store, clock=lambda: T0 + 3 * 86400)
    for period in (
        Period(T0, T0 + 2 * 86400, "2d"),
        Period(T0, T0 + 86400, "1d"),
        Period(T0 + 86400, T0 + 2 * 86400, "next"),
    ):
        for by in (None, "network"):
            same(metrics.report(period, by), statement_report(metrics, period, by, monkeypatch))
    figures = metrics.report(Period(T0, T0 + 2 * 86400, "2d")).figures
    assert (figures.resolved, figures.resolution_median, figures.resolution_p90) == (2, 500.0, 600.0)
    store.close()


TABLES = {  # each rollup and the column that says a row counts something
    "metrics_posts": "posts",
    "metrics_response_hist": "n",
    "metrics_response_tenths": "n",
    "metrics_backlog": "n",
    "metrics_replies": "n",
    "metrics_reopened": "n",
    "metrics_resolutions": "1",
    "metrics_resolution_hist": "n",
    "metrics_resolution_fine": "n",
    "metrics_response_fine": "n",
}


def test_a_buckets_fine_buckets_are_the_same_rows_as_the_range_read_as_seeks_of_the_days() -> None:
    """The fine buckets of bucket b are b * 10 .. b * 10 + 9, edges included and neighbours left out,
    and each is a seek of the period's days in metrics_response_fine's key, not a read of its year."""
    store = Store(":memory:")
    conn = store.conn
    conn.executemany(
        "INSERT INTO metrics_response_fine (fine, day, network, n) VALUES (?, ?, 'x', 1)",
        [(f, day) for f in range(2009, 2031) for day in (1, 5, 9)],
    )
    tenth, values = rollups.tenth_of("fine", 201)
    sql = f"SELECT fine, sum(n) FROM metrics_response_fine WHERE {tenth} AND day BETWEEN ? AND ? GROUP BY 1"
    assert conn.execute(sql, (*values, 2, 9)).fetchall() == [(f, 2) for f in range(2010, 2020)]
    plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", (*values, 2, 9)))
    assert "(fine=? AND day>? AND day<?)" in plan
    store.close()


def test_a_tenths_buckets_are_seeks_of_each_day_of_the_period(busy: Store) -> None:
    """The first responses per bucket are read only for the tenths holding a rank, each a seek of each
    whole day of the period in each network, not a read of every bucket of the period."""
    metrics = Metrics(busy, clock=lambda: T0 + 5 * 86400)
    plans = plans_of(
        busy.conn,
        "metrics_response_hist",
        lambda: metrics.report(Period(T0 - 86400, T0 + 3 * 86400, "4d"), "network"),
    )
    assert plans
    for plan in plans:
        assert "(day=? AND network=? AND bucket>? AND bucket<?)" in plan, plan


def test_a_fine_buckets_first_responses_are_a_seek_of_each_networks_posts_of_the_period(busy: Store) -> None:
    """The exact first responses of a fine bucket are read through its index by network, then time: a
    network's are not a read of every network's, and the overall ones a seek of each network's."""
    metrics = Metrics(busy, clock=lambda: T0 + 5 * 86400)
    period = Period(T0 - 86400, T0 + 3 * 86400, "4d")
    plans = plans_of(
        busy.conn, "posts_response_fine", lambda: [metrics.report(period, by) for by in (None, "network")]
    )
    assert len(plans) >= 2  # the overall and a network's
    for plan in plans:
        assert "(<expr>=? AND network=? AND created_at>? AND created_at<?)" in plan, plan


def test_the_open_posts_within_their_target_are_counted_from_the_open_ones_alone(busy: Store) -> None:
    """The posts of the period's last hours whose SLA is still open are read through the index of the
    open ones (and nothing else of them), not from every post of those hours."""
    metrics = Metrics(busy, clock=lambda: T0 + 3 * 86400)
    plans = plans_of(
        busy.conn,
        "posts_sla_open",
        lambda: metrics.report(Period(T0 - 86400, T0 + 3 * 86400, "4d"), "network"),
    )
    assert plans
    for plan in plans:
        assert "COVERING INDEX posts_sla_open (created_at>? AND created_at<?)" in plan, plan
