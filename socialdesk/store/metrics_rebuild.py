"""The rebuild of the status changes' rollups in the quarter-hours listed stale (migration 39,
store/metrics_stale_schema.py), which clears `metrics_stale` once none is left, so the reports read the
rollups again instead of the statements.

A listed quarter-hour's reopenings and its pair cells (resolutions and reopenings by the event's
quarter-hour) are counted again from the audit log, and its resolutions' rows written again; the day
sums built on them (the resolutions' day histograms, the pair cells per day, bucket and fine bucket)
take away the rows and quarter cells that go and add the new ones, so a day stays the sum of its parts.
The quarter-hours are independent of each other: a rebuild may take them a few at a time, each batch in
its own write transaction, while changes keep coming in.
"""

from __future__ import annotations

import sqlite3

from socialdesk.store.metrics_arrival_schema import carried
from socialdesk.store.metrics_pair_schema import PER_DAY, REPLY, reopenings
from socialdesk.store.metrics_repeat_schema import counted
from socialdesk.store.metrics_rollup_schema import (
    DAY,
    QUARTER,
    fine,
    previous_resolution,
    previous_status,
    status_of,
    took,
    unit,
)
from socialdesk.store.migrate import statements


def _in_quarter(column: str, quarter: str = "q.quarter") -> str:
    """SQL: `column` (a time) falls in quarter-hour `quarter`, bounded so an index on it serves it."""
    return (
        f"{column} >= {quarter} * {QUARTER!r} - 1 AND {column} < ({quarter} + 1) * {QUARTER!r} + 1 "
        f"AND {unit(column, QUARTER)} = {quarter}"
    )


_REDO = "temp.metrics_redo q"  # the quarter-hours being rebuilt
_CHANGES = (
    f"FROM {_REDO} CROSS JOIN audit c INDEXED BY audit_action_time "
    f"WHERE c.action = 'status' AND {_in_quarter('c.at')}"
)
_ROWS = (
    f"FROM {_REDO} CROSS JOIN metrics_resolutions m INDEXED BY metrics_resolutions_time "
    f"WHERE {_in_quarter('m.at')}"
)


def _with_post(x: str) -> str:
    """FROM ... WHERE: the changes `c` of the quarter-hours being rebuilt whose post `x` is there."""
    return _CHANGES.replace("WHERE", f"CROSS JOIN posts {x} WHERE {x}.id = c.post_id AND", 1)


def _histograms(source: str, sign: str) -> str:
    """Add (`sign` "") or take away ("-") the resolutions `m` of `source` in the day histograms."""
    return f"""INSERT INTO metrics_resolution_hist (day, bucket, n)
    SELECT {unit("m.at", DAY)} AS d, m.fine / 10 AS b, {sign}count(*) {source} AND {counted("m.")}
    GROUP BY d, b
    ON CONFLICT (day, bucket) DO UPDATE SET n = n + excluded.n;
INSERT INTO metrics_resolution_fine (fine, day, n)
    SELECT m.fine AS f, {unit("m.at", DAY)} AS d, {sign}count(*) {source} AND {counted("m.")} GROUP BY f, d
    ON CONFLICT (fine, day) DO UPDATE SET n = n + excluded.n;
"""


_CELLS = f"FROM {_REDO} CROSS JOIN metrics_pairs_q c WHERE c.e = q.quarter AND c.what != {REPLY}"
_DAYS = f"c.e / {PER_DAY}, c.p / {PER_DAY}"

# The quarter cells go (the day cells losing what they held) before the new resolutions are written:
# metrics_pairs_resolution, their trigger, adds their cells as it adds every resolution's.
STATEMENTS = f"""DELETE FROM temp.metrics_gone;
INSERT INTO temp.metrics_gone (change_id, at, fine, prev_at)
    SELECT m.change_id, m.at, m.fine, m.prev_at {_ROWS};
{_histograms("FROM temp.metrics_gone m WHERE 1", "-")}
INSERT INTO metrics_pairs_d (e, p, network, what, n)
    SELECT {_DAYS}, c.network, CASE WHEN c.what >= 0 THEN c.what / 100 ELSE c.what END, -sum(c.n) {_CELLS}
    GROUP BY 1, 2, 3, 4 ON CONFLICT (e, p, network, what) DO UPDATE SET n = n + excluded.n;
INSERT INTO metrics_pairs_b (network, bucket, e, p, n)
    SELECT c.network, c.what / 10, {_DAYS}, -sum(c.n) {_CELLS} AND c.what >= 0
    GROUP BY 1, 2, 3, 4 ON CONFLICT (network, bucket, e, p) DO UPDATE SET n = n + excluded.n;
INSERT INTO metrics_pairs_fine (network, fine, e, p, n)
    SELECT c.network, c.what, {_DAYS}, -sum(c.n) {_CELLS} AND c.what >= 0
    GROUP BY 1, 2, 3, 4 ON CONFLICT (network, fine, e, p) DO UPDATE SET n = n + excluded.n;
DELETE FROM metrics_pairs_q WHERE e IN (SELECT quarter FROM temp.metrics_redo) AND what != {REPLY};
DELETE FROM metrics_pairs_early WHERE change_id IN (SELECT change_id FROM temp.metrics_gone);
DELETE FROM metrics_resolutions WHERE change_id IN (SELECT change_id FROM temp.metrics_gone);
DELETE FROM metrics_reopened WHERE quarter IN (SELECT quarter FROM temp.metrics_redo);
INSERT INTO metrics_reopened (quarter, n)
    SELECT q.quarter, count(*) {_CHANGES} AND {status_of("c.detail")} IN ('open', 'new')
    AND EXISTS (SELECT 1 FROM posts WHERE id = c.post_id)
    AND {previous_status("c")} = 'resolved' GROUP BY q.quarter;
INSERT INTO metrics_resolutions (change_id, post_id, at, took, fine, prev_at, post_network, post_quarter)
    SELECT c.id, c.post_id, c.at, {took("c", "p")}, {fine(took("c", "p"))}, {previous_resolution("c")},
    {carried("p")} {_with_post("p")} AND {status_of("c.detail")} = 'resolved';
{_histograms(_ROWS, "")}{reopenings(_with_post("x"))}
DELETE FROM metrics_stale_quarters WHERE quarter IN (SELECT quarter FROM temp.metrics_redo);
"""

_STATEMENTS = statements(STATEMENTS)
# The first stale quarter-hours holding about `:changes` status changes (at least one quarter-hour), so a
# batch costs about as much on a sparse cache as on a dense one.
_CHOSEN = f"""INSERT INTO temp.metrics_redo (quarter) SELECT quarter FROM (
    SELECT quarter, sum(n) OVER (ORDER BY quarter) - n AS before FROM (
        SELECT s.quarter AS quarter, (SELECT count(*) FROM audit c INDEXED BY audit_action_time
            WHERE c.action = 'status' AND {_in_quarter("c.at", "s.quarter")}) AS n
        FROM metrics_stale_quarters s ORDER BY s.quarter LIMIT :changes))
    WHERE before < :changes"""


def stale(conn: sqlite3.Connection) -> bool:
    """Whether the status changes' rollups no longer answer (the reports read the statements)."""
    return conn.execute("SELECT 1 FROM metrics_stale").fetchone() is not None


def rebuild(conn: sqlite3.Connection, changes: int) -> bool:
    """Rebuild the first stale quarter-hours, about `changes` status changes' worth, and clear the flag
    when none is left; return whether the rollups answer again. Run it in one write transaction: a change
    that makes a quarter-hour stale then comes before it (and is rebuilt) or after it (and is listed
    again), never in between."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS metrics_redo (quarter INTEGER PRIMARY KEY)")
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS metrics_gone ("
        "change_id INTEGER PRIMARY KEY, at REAL NOT NULL, fine INTEGER NOT NULL, prev_at REAL)"
    )
    conn.execute("DELETE FROM temp.metrics_redo")
    conn.execute(_CHOSEN, {"changes": changes})
    for statement in _STATEMENTS:
        conn.execute(statement)
    if conn.execute("SELECT 1 FROM metrics_stale_quarters LIMIT 1").fetchone():
        return False
    conn.execute("DELETE FROM metrics_stale")
    return True
