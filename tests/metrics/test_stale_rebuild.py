"""A status change out of the log's order, a post with changes deleted or moved, a status change edited
or deleted: each leaves the status changes' rollups stale, and the next report rebuilds the quarter-hours
it listed (store/metrics_rebuild.py), clears the flag and reads the rollups again, giving the reports the
statements give, overall and by network, on caches whose events sit on the quarter-hour and day edges."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterator

import pytest

from socialdesk.services.metrics import Metrics, Report
from socialdesk.store import Store, metrics_pairs, metrics_rebuild
from socialdesk.store import metrics_rollups as rollups
from socialdesk.store.metrics_stale_schema import LEGACY
from tests.metrics.test_pair_rollups import DAY, build, near_edge, periods
from tests.metrics.test_rollups import T0, change_status, same, statement_report

SEEDS = [3, 17]


@pytest.fixture(params=SEEDS)
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[Store, int]]:
    store = Store(":memory:")
    build(store, request.param)
    yield store, request.param
    store.close()


def stale(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) FROM metrics_stale").fetchone()[0])


def changed_posts(conn: sqlite3.Connection, rng: random.Random, count: int) -> list[int]:
    """Posts with at least two status changes, one of them a resolution."""
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT post_id FROM audit WHERE action = 'status' GROUP BY post_id "
            "HAVING count(*) >= 2 AND sum(detail LIKE '%resolved%') >= 1 ORDER BY post_id"
        )
    ]
    return rng.sample(ids, min(count, len(ids)))


def statement_reports(metrics: Metrics, seed: int, monkeypatch: pytest.MonkeyPatch) -> list[Report]:
    return [statement_report(metrics, p, by, monkeypatch) for p in periods(seed) for by in (None, "network")]


def rebuilt_reports_are_the_statements(
    store: Store, seed: int, monkeypatch: pytest.MonkeyPatch, disturb: Callable[[random.Random], None]
) -> None:
    """`disturb` leaves the rollups stale; the first report rebuilds them and every report, read from the
    rollups, is the one the statements give."""
    conn = store.conn
    disturb(random.Random(seed))
    assert stale(conn)
    assert rollups.changes(conn, T0, T0 + 2 * DAY) is None  # the reports read the statements
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    slow = statement_reports(metrics, seed, monkeypatch)
    fast = [metrics.report(p, by) for p in periods(seed) for by in (None, "network")]
    assert not stale(conn)
    assert not conn.execute("SELECT count(*) FROM metrics_stale_quarters").fetchone()[0]
    assert rollups.changes(conn, T0, T0 + 2 * DAY) is not None  # the rollups answer again
    assert metrics_pairs.figures(conn, T0, T0 + 2 * DAY) is not None
    for one, other in zip(fast, slow, strict=True):
        same(one, other)


def test_a_status_change_out_of_the_logs_order_is_rebuilt(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded

    def disturb(rng: random.Random) -> None:
        for post_id in changed_posts(store.conn, rng, 8):  # a desk whose clock went back, or a late import
            first, last = store.conn.execute(
                "SELECT min(at), max(at) FROM audit WHERE action = 'status' AND post_id = ?", (post_id,)
            ).fetchone()
            value = rng.choice(["resolved", "open", "new", "pending"])
            change_status(store, post_id, value, rng.choice([first, rng.uniform(first, last), first - 60.0]))

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_a_deleted_post_with_status_changes_is_rebuilt(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded

    def disturb(rng: random.Random) -> None:
        store.conn.execute("PRAGMA foreign_keys = OFF")
        for post_id in changed_posts(store.conn, rng, 6):
            store.conn.execute("DELETE FROM posts WHERE id = ?", (post_id,))

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_a_moved_post_with_status_changes_is_rebuilt(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded

    def disturb(rng: random.Random) -> None:
        for post_id in changed_posts(store.conn, rng, 8):  # its time corrected, across edges
            shift = rng.choice([-3600.0, 450.0, 1e-6, DAY, -DAY / 2])
            store.conn.execute("UPDATE posts SET created_at = created_at + ? WHERE id = ?", (shift, post_id))

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_an_edited_status_change_is_rebuilt(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded

    def disturb(rng: random.Random) -> None:
        conn = store.conn
        changes = [row[0] for row in conn.execute("SELECT id FROM audit WHERE action = 'status' ORDER BY id")]
        picked = rng.sample(changes, 12)
        for change_id in picked[:4]:  # its time
            shift = rng.choice([-DAY, 900.0, 3 * DAY])
            conn.execute("UPDATE audit SET at = at + ? WHERE id = ?", (shift, change_id))
        for change_id in picked[4:8]:  # its status
            detail = json.dumps({"status": rng.choice(["resolved", "open", "pending"])})
            conn.execute("UPDATE audit SET detail = ? WHERE id = ?", (detail, change_id))
        for change_id in picked[8:10]:  # its post
            conn.execute("UPDATE audit SET post_id = ? WHERE id = ?", (rng.choice(changes[:50]), change_id))
        for change_id in picked[10:]:  # no longer a status change
            conn.execute("UPDATE audit SET action = 'note' WHERE id = ?", (change_id,))

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_a_deleted_status_change_is_rebuilt(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, seed = seeded

    def disturb(rng: random.Random) -> None:
        changes = [row[0] for row in store.conn.execute("SELECT id FROM audit WHERE action = 'status'")]
        for change_id in rng.sample(changes, 10):
            store.conn.execute("DELETE FROM audit WHERE id = ?", (change_id,))

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_changes_coming_in_between_batches_are_rebuilt_too(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild a quarter-hour at a time, each its own transaction, with every cause of staleness and
    changes in the log's order coming in between the batches: nothing is lost or counted twice."""
    store, seed = seeded
    conn = store.conn

    def disturb(rng: random.Random) -> None:
        conn.execute("PRAGMA foreign_keys = OFF")
        posts = iter(changed_posts(conn, rng, 30))
        for _ in range(6):
            late, later, moved, unlogged, gone = (next(posts) for _ in range(5))
            (last,) = conn.execute("SELECT max(at) FROM audit WHERE post_id = ?", (late,)).fetchone()
            change_status(store, late, "open", last - 1.0)  # out of order
            in_order = near_edge(rng, last + DAY)
            change_status(store, later, rng.choice(["resolved", "open"]), in_order)
            conn.execute("UPDATE posts SET created_at = created_at - 900.0 WHERE id = ?", (moved,))
            conn.execute("DELETE FROM audit WHERE action = 'status' AND post_id = ?", (unlogged,))
            conn.execute("DELETE FROM posts WHERE id = ?", (gone,))
            for _ in range(3):
                with store.transaction() as tx:
                    metrics_rebuild.rebuild(tx, 1)  # the smallest batches: a change or so each

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_a_cache_stale_before_the_migration_is_rebuilt_whole(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flag raised before migration 39 listed no quarter-hour: the migration lists every one a status
    change falls in or a rollup holds."""
    store, seed = seeded
    conn = store.conn

    def disturb(rng: random.Random) -> None:
        conn.execute("PRAGMA foreign_keys = OFF")
        posts = changed_posts(conn, rng, 6)
        conn.execute("DELETE FROM audit WHERE action = 'status' AND post_id = ?", (posts[0],))
        conn.execute("UPDATE posts SET created_at = created_at + 450.0 WHERE id = ?", (posts[1],))
        conn.execute("DELETE FROM posts WHERE id = ?", (posts[2],))
        conn.execute("DELETE FROM metrics_stale_quarters")  # as migration 38's triggers left it
        conn.execute(LEGACY)

    rebuilt_reports_are_the_statements(store, seed, monkeypatch, disturb)


def test_the_comparison_fails_without_the_rebuild(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not vacuous: clearing the flag without rebuilding gives reports the statements do not give."""
    store, seed = seeded
    conn = store.conn
    for post_id in changed_posts(conn, random.Random(seed), 8):
        conn.execute("UPDATE posts SET created_at = created_at - 3600.0 WHERE id = ?", (post_id,))
    conn.execute("DELETE FROM metrics_stale")
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    slow = statement_reports(metrics, seed, monkeypatch)
    fast = [metrics.report(p, by) for p in periods(seed) for by in (None, "network")]
    with pytest.raises(AssertionError):
        for one, other in zip(fast, slow, strict=True):
            same(one, other)


def test_a_report_rebuilds_for_a_second_at_most_and_reads_the_statements_meanwhile(
    seeded: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long rebuild (a cache stale before migration 39) is left half done by a report that ran out of
    time, which reads the statements; the desk's rebuild, stopped between batches, resumes it."""
    from socialdesk.services import metrics as service

    store, seed = seeded
    conn = store.conn
    conn.execute(
        "UPDATE posts SET created_at = created_at + 450.0 WHERE id = ?",
        changed_posts(conn, random.Random(seed), 1),
    )
    conn.execute(LEGACY)
    listed = conn.execute("SELECT count(*) FROM metrics_stale_quarters").fetchone()[0]
    assert listed > 30
    monkeypatch.setattr(service, "REBUILD_SECONDS", 0.0)  # out of time after the first batch
    monkeypatch.setattr(service, "REBUILD_CHANGES", 10)
    metrics = Metrics(store, clock=lambda: T0 + 5 * DAY)
    period = periods(seed)[0]
    slow = statement_report(metrics, period, "network", monkeypatch)
    same(metrics.report(period, "network"), slow)

    def left() -> int:
        return int(conn.execute("SELECT count(*) FROM metrics_stale_quarters").fetchone()[0])

    after_report = left()
    assert 0 < after_report < listed and stale(conn)
    batches = iter([False, True])
    assert not metrics.rebuild_stale(float("inf"), stop=lambda: next(batches))
    assert 0 < left() < after_report
    assert metrics.rebuild_stale(float("inf")) and not stale(conn)
    same(metrics.report(period, "network"), slow)
