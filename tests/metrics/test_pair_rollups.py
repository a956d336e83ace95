"""The breakdown by network read from the pair rollups (store/metrics_pairs.py) is the one the statements
give: on caches whose replies, resolutions and reopenings fall on and around the quarter-hour and day
edges of the periods asked for, with posts arriving before the period, second resolutions, replies taken
back, survey answers for posts of other periods, posts becoming ours, moving or going; and the migration's
backfill is what the triggers keep. A broken rollup fails the comparison."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator

import pytest

from socialdesk.services.metrics import Metrics, Period
from socialdesk.store import Store, metrics_pairs
from socialdesk.store.migrate import statements
from tests.metrics.plans import plans_of
from tests.metrics.test_rollups import T0, arrive, change_status, same, send_reply, statement_report

QUARTER, DAY = 900.0, 86400.0
NETWORKS = ("x", "mastodon", "bluesky")


def near_edge(rng: random.Random, around: float) -> float:
    """A time on, or a hair either side of, a quarter-hour or day edge near `around` (or anywhere)."""
    width = rng.choice([QUARTER, DAY])
    edge = round(around / width) * width
    return edge + rng.choice([0.0, 1e-6, -1e-6, 0.25, -0.25, 60.0, -60.0, rng.uniform(-width, width)])


def build(store: Store, seed: int, posts: int = 120) -> None:
    """Posts from a day before T0 to three days after, each with replies and status changes at edges."""
    rng = random.Random(seed)
    conn = store.conn
    for n in range(posts):
        created = near_edge(rng, T0 + rng.uniform(-DAY, 3 * DAY))
        network = rng.choice(NETWORKS)
        post_id = arrive(store, f"{seed}-{n}", network, created, "neutral", True, 900.0, "new")
        when = created - rng.choice([0.0, 0.0, 0.0, 0.0, 1e-6, rng.uniform(0, DAY)])  # some before it arrived
        for _ in range(rng.choice([0, 1, 2, 3, 4])):  # the log in order: resolved, reopened, resolved again
            when = max(when, near_edge(rng, when + rng.uniform(0, DAY)))
            change_status(
                store, post_id, rng.choice(["resolved", "resolved", "open", "new", "pending"]), when
            )
        for _ in range(rng.choice([0, 1, 2])):
            at = near_edge(rng, created + rng.uniform(0, 1.5 * DAY))
            send_reply(
                store, post_id, network, at, rng.choice([1, 2]), rng.choice(["sent", "sent", "discarded"])
            )
        if rng.random() < 0.15:  # a survey answered, often in a later period than the post's
            conn.execute(
                "INSERT OR IGNORE INTO survey_answers (post_id, score, answered_at, imported_at) "
                "VALUES (?, ?, ?, ?)",
                (post_id, rng.randint(1, 5), near_edge(rng, created + rng.uniform(0, 2 * DAY)), T0),
            )
        if rng.random() < 0.05:  # our own post (its replies and changes count only through a survey)
            conn.execute("UPDATE posts SET is_ours = 1 WHERE id = ?", (post_id,))


def periods(seed: int, count: int = 12) -> list[Period]:
    rng = random.Random(seed + 1000)
    found = [Period(T0, T0 + 2 * DAY, "whole days"), Period(T0 + 450.5, T0 + DAY + 900, "odd")]
    while len(found) < count:
        since = near_edge(rng, T0 + rng.uniform(-0.5 * DAY, 2 * DAY))
        length = rng.choice([600.0, 3600.0, DAY, 1.5 * DAY + 123.25, 2 * DAY, 2 * DAY + QUARTER])
        found.append(Period(since, since + length, "p"))
    return found


def check(store: Store, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    broken_down = 0
    for period in periods(seed):
        fast = metrics.report(period, "network")
        broken_down += bool(fast.groups)
        same(fast, statement_report(metrics, period, "network", monkeypatch))
    assert broken_down >= 8  # the data put posts in most periods


@pytest.fixture(params=[1, 2, 3, 4])
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[Store, int]]:
    store = Store(":memory:")
    build(store, request.param)
    yield store, request.param
    store.close()


def test_the_pair_rollups_give_the_breakdown_the_statements_give(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded
    assert metrics_pairs.figures(store.conn, T0, T0 + 2 * DAY) is not None  # the rollups answer, no fallback
    check(store, monkeypatch, seed)


def test_each_write_path_keeps_the_pair_rollups_right(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded
    conn = store.conn
    rng = random.Random(seed)
    ids = [row[0] for row in conn.execute("SELECT id FROM posts ORDER BY id")]
    for post_id in rng.sample(ids, 5):  # retriaged as ours (own_accounts.py), and back
        conn.execute("UPDATE posts SET is_ours = 1 - is_ours WHERE id = ?", (post_id,))
    for post_id in rng.sample(ids, 5):  # a post whose time was wrong, corrected
        conn.execute("UPDATE posts SET created_at = created_at - 3600 WHERE id = ?", (post_id,))
    conn.execute(
        "UPDATE replies SET state = 'failed' WHERE id IN (SELECT id FROM replies ORDER BY id LIMIT 3)"
    )
    conn.execute("UPDATE replies SET updated_at = updated_at + 900.0 WHERE id % 7 = 0")
    conn.execute("DELETE FROM replies WHERE id % 11 = 0")
    conn.execute("UPDATE replies SET post_id = ? WHERE id % 13 = 0", (ids[0],))
    moved = conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0]
    assert moved == 1  # a moved post with status changes: stale until the first report rebuilds it
    check(store, monkeypatch, seed)
    assert conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0] == 0


def test_a_post_going_takes_its_events_with_it(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded
    conn = store.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM posts WHERE id IN (SELECT post_id FROM replies WHERE state = 'sent' LIMIT 5)")
    # The reply cells are the delete trigger's alone; the status changes' ones, stale once a post with
    # changes goes, the first report rebuilds (store/metrics_rebuild.py) before reading them.
    check(store, monkeypatch, seed)
    assert conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0] == 0


def test_resolutions_reopenings_and_moves_through_the_triggers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Status changes after the replies (the order the desk writes them in), then a post moved into the
    period: every cell follows."""
    store = Store(":memory:")
    build(store, 7, posts=60)
    conn = store.conn
    later = arrive(store, "late", "x", T0 + DAY - 1e-6, "neutral", True, 900.0, "new")
    send_reply(store, later, "x", T0 + DAY + 0.5, 1, "sent")
    change_status(store, later, "resolved", T0 + DAY + QUARTER)
    change_status(store, later, "open", T0 + 2 * DAY - 1e-6)
    change_status(store, later, "resolved", T0 + 2 * DAY)
    check(store, monkeypatch, 7)
    conn.execute("UPDATE posts SET network = 'mastodon', is_ours = 0 WHERE id = ?", (later,))
    check(store, monkeypatch, 7)
    store.close()


def test_the_comparison_fails_on_a_broken_rollup(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not vacuous: one reply's cell short, in its day cell and quarter cell, changes a network's figures."""
    store, seed = seeded
    conn = store.conn
    e, p, network = conn.execute(
        "SELECT e, p, network FROM metrics_pairs_q WHERE what = -1 AND n > 0 AND e BETWEEN ? AND ? "
        "AND p BETWEEN ? AND ? ORDER BY e LIMIT 1",
        (T0 / QUARTER, (T0 + 2 * DAY) / QUARTER - 1) * 2,  # in the first period checked: whole days
    ).fetchone()
    conn.execute(
        "UPDATE metrics_pairs_q SET n = n - 1 WHERE e = ? AND p = ? AND network = ? AND what = -1",
        (e, p, network),
    )
    conn.execute(
        "UPDATE metrics_pairs_d SET n = n - 1 WHERE e = ? AND p = ? AND network = ? AND what = -1",
        (e // 96, p // 96, network),
    )
    with pytest.raises(AssertionError):
        check(store, monkeypatch, seed)


def test_the_migration_backfills_what_the_triggers_keep(seeded: tuple[Store, int]) -> None:
    from socialdesk.store.metrics_pair_schema import BACKFILL

    store, _ = seeded
    conn = store.conn
    tables = {  # each rollup and the rows that count something
        "metrics_pairs_q": "n != 0",
        "metrics_pairs_d": "n != 0",
        "metrics_pairs_b": "n != 0",
        "metrics_pairs_fine": "n != 0",
        "metrics_pairs_early": "1",
    }

    def cells() -> list[list[tuple[object, ...]]]:
        return [
            conn.execute(f"SELECT * FROM {t} WHERE {w} ORDER BY 1, 2").fetchall() for t, w in tables.items()
        ]

    kept = cells()
    assert all(kept)
    for table in tables:
        conn.execute(f"DELETE FROM {table}")
    for statement in statements(BACKFILL):
        conn.execute(statement)
    assert cells() == kept
    assert json.dumps(kept)  # plain values only


def carried_wrong(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """The resolutions whose post's network (none when ours) or quarter-hour of arrival is not what they
    carry (migration 34), and how many resolutions there are."""
    wrong = conn.execute(
        "SELECT m.change_id, m.post_network, m.post_quarter, x.network, x.is_ours, x.created_at "
        "FROM metrics_resolutions m JOIN posts x ON x.id = m.post_id "
        "WHERE m.post_network IS NOT (CASE WHEN x.is_ours = 0 THEN x.network END) "
        "OR m.post_quarter IS NOT CAST(x.created_at / 900.0 AS INTEGER)"
    ).fetchall()
    (count,) = conn.execute("SELECT count(*) FROM metrics_resolutions").fetchone()
    assert count >= 20
    return wrong


def moves(conn: sqlite3.Connection, seed: int, times: bool = True) -> None:
    """Posts with resolutions becoming ours (or ours no longer), changing network, their time corrected
    (unless not `times`)."""
    rng = random.Random(seed)
    resolved = [row[0] for row in conn.execute("SELECT DISTINCT post_id FROM metrics_resolutions ORDER BY 1")]
    for post_id in rng.sample(resolved, 8):
        conn.execute("UPDATE posts SET is_ours = 1 - is_ours WHERE id = ?", (post_id,))
    for post_id in rng.sample(resolved, 8):
        conn.execute("UPDATE posts SET network = 'threads' WHERE id = ?", (post_id,))
    for post_id in rng.sample(resolved, 8) if times else []:
        conn.execute("UPDATE posts SET created_at = created_at + 450.0 WHERE id = ?", (post_id,))


def test_each_resolution_carries_its_posts_network_and_quarter_hour_through_every_write_path(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded
    conn = store.conn
    assert carried_wrong(conn) == []  # as the status changes wrote them
    moves(conn, seed, times=False)
    assert carried_wrong(conn) == []
    check(store, monkeypatch, seed)  # the picks read what the resolutions carry
    moves(conn, seed + 10)  # a moved post with status changes: the statements answer, still carried right
    assert carried_wrong(conn) == []


@pytest.mark.parametrize("broken", ["metrics_resolutions_post_moved", "metrics_status_insert"])
def test_the_carried_network_is_wrong_without_its_triggers(broken: str) -> None:
    """Not vacuous: without the trigger that follows a post, or with the status changes' trigger as
    migration 33 left it, a resolution carries what its post no longer is (or nothing)."""
    from socialdesk.store.metrics_repeat_schema import MIGRATION as REPEATS

    store = Store(":memory:")
    conn = store.conn
    conn.execute(f"DROP TRIGGER {broken}")
    if broken == "metrics_status_insert":
        conn.execute(next(s for s in statements(REPEATS) if s.startswith("CREATE TRIGGER")))
    build(store, 5)
    moves(conn, 5)
    assert carried_wrong(conn)
    store.close()


def test_the_migration_gives_each_resolution_what_the_triggers_keep(seeded: tuple[Store, int]) -> None:
    from socialdesk.store.metrics_arrival_schema import BACKFILL

    store, seed = seeded
    conn = store.conn
    moves(conn, seed)
    sql = "SELECT change_id, post_network, post_quarter FROM metrics_resolutions ORDER BY change_id"
    kept = conn.execute(sql).fetchall()
    assert {network is None for _, network, _ in kept} == {True, False}  # ours and customers' posts
    conn.execute("UPDATE metrics_resolutions SET post_network = NULL, post_quarter = NULL")
    for statement in statements(BACKFILL):
        conn.execute(statement)
    assert conn.execute(sql).fetchall() == kept


def test_a_fine_buckets_durations_are_a_seek_of_the_networks_resolutions_in_the_period(
    seeded: tuple[Store, int],
) -> None:
    """The pick reads the network's resolutions of the fine bucket and period through the index, without
    reading their posts."""
    store, _ = seeded
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    plans = plans_of(
        store.conn,
        "metrics_resolutions_network",
        lambda: metrics.report(Period(T0, T0 + 2 * DAY, "whole days"), "network"),
    )
    assert plans
    for plan in plans:
        assert "(post_network=? AND fine=? AND at>? AND at<?)" in plan, plan
        assert "posts" not in plan.replace("post_", ""), plan


def test_every_index_on_the_resolutions_is_read_by_a_report(seeded: tuple[Store, int]) -> None:
    """Each index costs a write per resolution: every one is read by a report, overall or by network (a
    period of whole days and one with edges), and an index no report reads goes."""
    store, _ = seeded
    conn = store.conn
    ran: list[str] = []
    conn.set_trace_callback(
        lambda sql: ran.append(sql) if sql.lstrip().upper().startswith(("SELECT", "WITH")) else None
    )
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    for period in (Period(T0, T0 + 2 * DAY, "whole days"), Period(T0 + 450.5, T0 + DAY + 900, "odd")):
        for by in (None, "network"):
            metrics.report(period, by)
    conn.set_trace_callback(None)
    read = {
        row[3].split(" INDEX ")[1].split()[0]
        for sql in ran
        for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")
        if " INDEX metrics_resolutions" in row[3]
    }
    indexes = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metrics_resolutions' "
            "AND sql IS NOT NULL"
        )
    }
    assert read == indexes
