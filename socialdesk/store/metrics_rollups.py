"""The metrics read from their rollups (store/metrics_rollup_schema.py): a period's counts are the sums of
its whole quarter-hours plus its edges read from the rows; medians and p90s come from day histograms,
narrowed to the bucket that holds each rank, whose exact values an index on the duration gives.

Each figure is the one `store/metrics_queries.py` computes without business hours (README, "Metrics");
tests/metrics/test_rollups.py holds the two to the same reports on random caches.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from socialdesk.store import metrics_queries as mq
from socialdesk.store.metrics_repeat_schema import ACROSS
from socialdesk.store.metrics_rollup_schema import (
    ANSWERED,
    DAY,
    HOUR,
    QUARTER,
    RESPONSE_FINE,
    SENTIMENTS,
    SLA_OPEN,
    answered,
    fine,
    post_sums,
    sla_open,
    status_of,
    unit,
    waited,
)

Edge = tuple[str, tuple[float, ...]]
Statement = tuple[str, tuple[object, ...]]  # SQL selecting `v`, and its parameters


def usable(since: float) -> bool:
    """Whether the rollups answer a period starting at `since` (times before 1970 split differently)."""
    return since >= 0


def whole(since: float, until: float, width: float) -> tuple[int, int]:
    """The first and last units of `width` seconds whose every time lies in [since, until), as SQLite's
    `CAST(t / width AS INTEGER)` assigns times to units (first > last: none)."""
    start = int(since / width)
    first = start if int(math.nextafter(since, -math.inf) / width) < start else start + 1
    return first, int(until / width) - 1


def edges(column: str, since: float, until: float, width: float) -> list[Edge]:
    """SQL conditions (with their parameters) selecting the times of [since, until) outside its whole
    units: all of it when it has none."""
    first, last = whole(since, until, width)
    if first > last:
        return [(f"{column} >= ? AND {column} < ?", (since, until))]
    of = unit(column, width)
    return [
        (f"{column} >= ? AND {column} < ? AND {of} < ?", (since, min(until, first * width + 1), first)),
        (f"{column} >= ? AND {column} < ? AND {of} > ?", (max(since, (last + 1) * width - 1), until, last)),
    ]


def _within(column: str, first: int, last: int, width: float) -> Edge:
    """A condition selecting the times of units first..last, bounded so an index on `column` serves it."""
    return (
        f"{column} >= ? AND {column} < ? AND {unit(column, width)} BETWEEN ? AND ?",
        (first * width - 1, (last + 1) * width + 1, first, last),
    )


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def tenth_of(column: str, top: int) -> Edge:
    """A condition selecting the integers of `column` in top * 10 .. top * 10 + 9 as ten values: a list of
    equalities lets an index whose next column is a time seek that time's range in each of them, where a
    range on `column` would read all its times."""
    values = tuple(range(top * 10, top * 10 + 10))
    return f"{column} IN ({', '.join('?' * len(values))})", values


def figures(
    conn: sqlite3.Connection, since: float, until: float, now: float, by_network: bool = False
) -> dict[str, dict[str, object]]:
    """The posts' figures of [since, until) (volume, actionable, sentiment, answered, first response,
    SLA), overall or per network only (a report's overall figures come from the overall call), as
    `metrics_queries.figures` gives them without business hours."""
    out: dict[str, dict[str, object]] = {}
    sums = post_sums("p")
    first, last = whole(since, until, QUARTER)
    grouped: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(sums))
    top = 0.0
    for network, *values, target in conn.execute(
        f"SELECT network, {', '.join(f'sum({c})' for c in sums)}, max(max_target) FROM metrics_posts "
        "WHERE quarter BETWEEN ? AND ? GROUP BY network",
        (first, last),
    ):
        row = grouped[network]
        for i, value in enumerate(values):
            row[i] += value
        top = max(top, target)
    open_at = list(sums).index("sla_open")  # open posts become their misses at `now`
    if first <= last:  # open posts not yet past their target: arrived at most the largest target ago
        within, params = _within("created_at", first, last, QUARTER)
        for network, waiting in conn.execute(
            f"SELECT network, count(*) FROM posts INDEXED BY posts_sla_open WHERE created_at >= ? "
            f"AND {within} AND is_ours = 0 AND {SLA_OPEN} "
            "AND NOT (max(0.0, ? - created_at) > max(0.0, due_at - created_at)) GROUP BY network",
            (now - top - 2, *params, now),
        ):
            grouped[network][open_at] -= waiting
    misses = f"({sla_open('p')} AND max(0.0, ? - p.created_at) > max(0.0, p.due_at - p.created_at))"
    for condition, params in edges("p.created_at", since, until, QUARTER):
        for network, *values in conn.execute(
            f"SELECT p.network, {', '.join(f'total({v})' for v in sums.values())}, total({misses}) "
            f"FROM posts p INDEXED BY posts_metrics WHERE {condition} AND p.is_ours = 0 GROUP BY p.network",
            (now, *params),
        ):
            row = grouped[network]
            for i, value in enumerate(values[:-1]):
                row[i] += value if i != open_at else 0
            row[open_at] += values[-1]
    responses = _response_spreads(conn, since, until, by_network)
    others = False
    totals: dict[str, list[float]] = {}
    for network, row in grouped.items():
        for key in (network,) if by_network else (mq.OVERALL,):
            into = totals.setdefault(key, [0.0] * len(row))
            for i, value in enumerate(row):
                into[i] += value
    names = list(sums)
    for group, row in totals.items():
        found = dict(zip(names, (int(v) for v in row), strict=False))
        if not found["posts"]:
            continue
        median, p90 = responses.get(group, (None, None))
        out[group] = {
            "volume": found["posts"],
            "actionable": found["actionable"],
            "answered": found["answered"],
            "sla_met": found["sla_met"],
            "sla_missed": found["sla_late"] + found["sla_open"],
            "sentiment": {label: found[label] for label in SENTIMENTS if found[label]},
            "first_response_median": median,
            "first_response_p90": p90,
        }
        others = others or bool(found["other_labels"])
    if others:
        rows = _other_labels(conn, since, until)  # rare: read only when the counts say there are some
        for group, label, count in rows if by_network else _sum_labels(rows):
            labelled = out[group]["sentiment"]
            assert isinstance(labelled, dict)
            labelled[label] = labelled.get(label, 0) + count
    return out


def _other_labels(conn: sqlite3.Connection, since: float, until: float) -> list[tuple[str, str, int]]:
    """Sentiment labels besides the usual three per network, in [since, until)."""
    labels = ", ".join(repr(x) for x in SENTIMENTS)
    return conn.execute(
        "SELECT p.network, p.sentiment_label, count(*) FROM posts p INDEXED BY posts_metrics "
        "WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0 "
        f"AND p.sentiment_label NOT IN ('', {labels}) GROUP BY p.network, p.sentiment_label",
        (since, until),
    ).fetchall()


def _sum_labels(rows: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The per-network label counts `rows` as overall ones."""
    overall: dict[str, int] = defaultdict(int)
    for _, label, count in rows:
        overall[label] += count
    return [(mq.OVERALL, label, count) for label, count in overall.items()]


def _loose(conn: sqlite3.Connection) -> None:
    """Empty the temporary table of the durations a histogram does not hold (a period's edges)."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS metrics_loose ("
        "grp TEXT NOT NULL, fine INTEGER NOT NULL, v REAL NOT NULL)"
    )
    conn.execute("DELETE FROM temp.metrics_loose")


def _ranked(
    sources: list[Statement],
    loose: Statement,
    offset: int,
    limit: int,
    conn: sqlite3.Connection,
    total: int | None = None,
) -> list[float]:
    """Values from `offset` on, smallest first, of the union of these statements (each selecting `v`),
    `total` of them when known: then ranks in the upper half are counted from the largest, so the sort
    keeps the few above them rather than all below (a p90's)."""
    parts = [sql for sql, _ in [*sources, loose]]
    params = [p for _, found in [*sources, loose] for p in found]
    union = f"SELECT v FROM ({' UNION ALL '.join(parts)})"
    if total is not None and total - offset - limit < offset:
        sql = f"{union} ORDER BY v DESC LIMIT ? OFFSET ?"
        rows = conn.execute(sql, (*params, limit, max(0, total - offset - limit))).fetchall()
        return [row[0] for row in reversed(rows)]
    sql = f"{union} ORDER BY v LIMIT ? OFFSET ?"
    return [row[0] for row in conn.execute(sql, (*params, limit, offset))]


def _response_spreads(
    conn: sqlite3.Connection, since: float, until: float, by_network: bool
) -> dict[str, tuple[float | None, float | None]]:
    """(median, p90) of the first responses of the period's answered posts, overall or per network:
    counted per tenth of a bucket, then per bucket in the tenths that hold a rank (migration 35)."""
    first, last = whole(since, until, DAY)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # per tenth of a bucket
    networks: set[str] = set()
    for network, t, n in conn.execute(
        "SELECT network, tenth, sum(n) FROM metrics_response_tenths WHERE day BETWEEN ? AND ? GROUP BY 1, 2",
        (first, last),
    ):
        networks.add(network)
        for group in (network,) if by_network else (mq.OVERALL,):
            counts[group][t] += n
    _loose(conn)
    for condition, params in edges("p.created_at", since, until, DAY):
        conn.execute(
            f"INSERT INTO temp.metrics_loose (grp, fine, v) SELECT p.network, {fine(waited('p'))}, "
            f"{waited('p')} FROM posts p INDEXED BY posts_metrics "
            f"WHERE {condition} AND p.is_ours = 0 AND {answered('p')}",
            params,
        )
    for network, t, n in conn.execute(
        "SELECT grp, fine / 100, count(*) FROM temp.metrics_loose GROUP BY 1, 2"
    ):
        for group in (network,) if by_network else (mq.OVERALL,):
            counts[group][t] += n
    days = tuple(range(first, last + 1))  # the whole days: a seek of each, in each network

    def buckets(group: str, t: int) -> dict[int, int]:
        found: dict[int, int] = defaultdict(int)
        chosen = sorted(networks) if group == mq.OVERALL else [group]
        if days and chosen:
            for b, n in conn.execute(
                f"SELECT bucket, sum(n) FROM metrics_response_hist WHERE day IN ({_marks(days)}) "
                f"AND network IN ({_marks(chosen)}) AND bucket BETWEEN ? AND ? GROUP BY bucket",
                (*days, *chosen, t * 10, t * 10 + 9),
            ):
                found[b] += n
        only = ([], "") if group == mq.OVERALL else ([group], " AND grp = ?")
        for b, n in conn.execute(
            f"SELECT fine / 10, count(*) FROM temp.metrics_loose WHERE fine / 100 = ?{only[1]} GROUP BY 1",
            (t, *only[0]),
        ):
            found[b] += n
        return {b: n for b, n in found.items() if n}

    sizes: dict[tuple[str, int], int] = {}  # values per (group, fine bucket), as counted

    def fines(group: str, b: int) -> dict[int, int]:
        only = ([], "") if group == mq.OVERALL else ([group], " AND network = ?")
        found: dict[int, int] = defaultdict(int)
        if first <= last:
            tenth, values = tenth_of("fine", b)
            for f, n in conn.execute(
                f"SELECT fine, sum(n) FROM metrics_response_fine WHERE {tenth} "
                f"AND day BETWEEN ? AND ?{only[1]} GROUP BY fine",
                (*values, first, last, *only[0]),
            ):
                found[f] += n
        only = ([], "") if group == mq.OVERALL else ([group], " AND grp = ?")
        for f, n in conn.execute(
            f"SELECT fine, count(*) FROM temp.metrics_loose WHERE fine / 10 = ?{only[1]} GROUP BY fine",
            (b, *only[0]),
        ):
            found[f] += n
        sizes.update(((group, f), n) for f, n in found.items())
        return found

    def pick(group: str, f: int, offset: int, limit: int) -> list[float]:
        sources: list[Statement] = []
        chosen = sorted(networks) if group == mq.OVERALL else [group]  # each a seek (migration 36)
        if first <= last and chosen:
            within, bounds = _within("created_at", first, last, DAY)
            sources.append((
                "SELECT max(0.0, first_response_at - created_at) AS v "
                f"FROM posts INDEXED BY posts_response_fine WHERE {RESPONSE_FINE} = ? "
                f"AND network IN ({_marks(chosen)}) AND {within} AND {ANSWERED}",
                (f, *chosen, *bounds),
            ))  # fmt: skip
        only = ([], "") if group == mq.OVERALL else ([group], " AND grp = ?")
        loose = (f"SELECT v FROM temp.metrics_loose WHERE fine = ?{only[1]}", (f, *only[0]))
        return _ranked(sources, loose, offset, limit, conn, sizes.get((group, f)))

    def in_bucket(group: str, b: int, offset: int, limit: int) -> list[float]:
        return picked(fines(group, b), partial(pick, group), offset, limit)

    spreads = {}
    for group, found in counts.items():
        spreads[group] = spread(found, partial(buckets, group), partial(in_bucket, group))
    return spreads


def picked(
    counts: dict[int, int], pick: Callable[[int, int, int], list[float]], offset: int, limit: int
) -> list[float]:
    """Values from the `offset`-th on (at most `limit`), smallest first, of values counted per fine
    bucket in `counts`: read by `pick(fine, offset, limit)` from the fine buckets that hold them."""
    values: list[float] = []
    below = 0
    for f in sorted(counts):
        n = counts[f]
        if n and below + n > offset and below < offset + limit:
            start = max(0, offset - below)
            values += pick(f, start, min(n, offset + limit - below) - start)
        below += n
    return values


def spread(
    counts: dict[int, int],
    fines: Callable[[int], dict[int, int]],
    pick: Callable[[int, int, int], list[float]],
) -> tuple[float | None, float | None]:
    """The median (mean of the middle two for an even count) and nearest-rank p90 of values counted per
    bucket, reading only what holds those ranks: `fines(bucket)` counts a bucket's values per fine
    bucket, and `pick(fine, offset, limit)` gives a fine bucket's values from its `offset`-th on."""
    n = sum(counts.values())
    if n <= 0:
        return None, None
    ranks = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    ranks.append(max(1, (9 * n + 9) // 10) - 1)
    values: dict[int, float] = {}
    below = 0
    for b in sorted(counts):
        wanted = [r for r in ranks if below <= r < below + counts[b]]
        if wanted:
            fine_counts = fines(b)
            fine_below = below
            for f in sorted(fine_counts):
                inside = [r - fine_below for r in wanted if fine_below <= r < fine_below + fine_counts[f]]
                if inside:
                    got = pick(f, min(inside), max(inside) - min(inside) + 1)
                    for at in inside:
                        values[fine_below + at] = got[at - min(inside)]
                fine_below += fine_counts[f]
        below += counts[b]
    middle = values[ranks[0]] if n % 2 else (values[ranks[0]] + values[ranks[1]]) / 2
    return middle, values[ranks[-1]]


def changes(conn: sqlite3.Connection, since: float, until: float) -> dict[str, object] | None:
    """Resolutions (count, median, p90) and reopenings of the period overall; None when a status change
    came in out of the log's order (or a post with changes went), so the rollup no longer answers."""
    if conn.execute("SELECT 1 FROM metrics_stale").fetchone():
        return None
    out: dict[str, object] = {}
    first, last = whole(since, until, DAY)
    counts: dict[int, int] = defaultdict(int)
    # Per fine bucket: resolved again after one in the period, in another day (the histograms leave out
    # the repeats the same day, which a period of whole days never counts).
    again: dict[int, int] = defaultdict(int)
    if first <= last:
        for b, n in conn.execute(
            "SELECT bucket, sum(n) FROM metrics_resolution_hist WHERE day BETWEEN ? AND ? GROUP BY bucket",
            (first, last),
        ):
            counts[b] += n
        within, params = _within("at", first, last, DAY)
        for f, n in conn.execute(  # those count once, at the first
            "SELECT fine, count(*) FROM metrics_resolutions INDEXED BY metrics_resolutions_across "
            f"WHERE prev_at >= ? AND prev_at < ? AND {ACROSS} AND {within} GROUP BY fine",
            (since, until, *params),
        ):
            again[f] += n
            counts[f // 10] -= n
    _loose(conn)
    for condition, params in edges("at", since, until, DAY):
        conn.execute(
            "INSERT INTO temp.metrics_loose (grp, fine, v) SELECT '', fine, took "
            "FROM metrics_resolutions INDEXED BY metrics_resolutions_time "
            f"WHERE {condition} AND (prev_at IS NULL OR prev_at < ?)",
            (*params, since),
        )
    for b, n in conn.execute("SELECT fine / 10, count(*) FROM temp.metrics_loose GROUP BY 1"):
        counts[b] += n

    sizes: dict[int, int] = {}  # values per fine bucket, as counted

    def fines(b: int) -> dict[int, int]:
        found: dict[int, int] = defaultdict(int)
        if first <= last:
            tenth, values = tenth_of("fine", b)
            for f, n in conn.execute(
                f"SELECT fine, sum(n) FROM metrics_resolution_fine WHERE {tenth} "
                "AND day BETWEEN ? AND ? GROUP BY fine",
                (*values, first, last),
            ):
                found[f] += n - again.get(f, 0)
        for f, n in conn.execute(
            "SELECT fine, count(*) FROM temp.metrics_loose WHERE fine / 10 = ? GROUP BY fine", (b,)
        ):
            found[f] += n
        sizes.update(found)
        return {f: n for f, n in found.items() if n}

    def pick(f: int, offset: int, limit: int) -> list[float]:
        sources: list[Statement] = []
        if first <= last:
            within, bounds = _within("at", first, last, DAY)
            sources.append((
                "SELECT took AS v FROM metrics_resolutions INDEXED BY metrics_resolutions_fine "
                f"WHERE fine = ? AND {within} AND (prev_at IS NULL OR prev_at < ?)",
                (f, *bounds, since),
            ))  # fmt: skip
        loose = ("SELECT v FROM temp.metrics_loose WHERE fine = ?", (f,))
        return _ranked(sources, loose, offset, limit, conn, sizes.get(f))

    resolved = sum(counts.values())
    if resolved > 0:
        median, p90 = spread(counts, fines, pick)
        out.update(resolved=resolved, resolution_median=median, resolution_p90=p90)
    q_first, q_last = whole(since, until, QUARTER)
    (reopened,) = conn.execute(
        "SELECT total(n) FROM metrics_reopened WHERE quarter BETWEEN ? AND ?", (q_first, q_last)
    ).fetchone()
    earlier = (
        "(SELECT json_extract(b.detail, '$.status') FROM audit b INDEXED BY audit_post "
        "WHERE b.post_id = a.post_id AND b.action = 'status' "
        "AND (b.at < a.at OR (b.at = a.at AND b.id < a.id)) "
        "ORDER BY b.at DESC, b.id DESC LIMIT 1)"
    )
    for condition, params in edges("a.at", since, until, QUARTER):
        (more,) = conn.execute(
            "SELECT count(*) FROM audit a INDEXED BY audit_action_time "
            "CROSS JOIN posts p NOT INDEXED ON p.id = a.post_id "
            f"WHERE a.action = 'status' AND {condition} AND {status_of('a.detail')} IN ('open', 'new') "
            f"AND {earlier} = 'resolved'",
            params,
        ).fetchone()
        reopened += more
    if reopened:
        out["reopened"] = int(reopened)
    return out


def replies(conn: sqlite3.Connection, since: float, until: float) -> int:
    """Sent replies of the period, a thread of parts counted once."""
    first, last = whole(since, until, QUARTER)
    (count,) = conn.execute(
        "SELECT total(n) FROM metrics_replies WHERE quarter BETWEEN ? AND ?", (first, last)
    ).fetchone()
    for condition, params in edges("updated_at", since, until, QUARTER):
        (more,) = conn.execute(
            "SELECT count(*) FROM replies INDEXED BY replies_state_time "
            f"WHERE state = 'sent' AND {condition} AND part = 1",
            params,
        ).fetchone()
        count += more
    return int(count)


def volume(conn: sqlite3.Connection, starts: list[float], until: float) -> list[dict[str, int]]:
    """Customer posts per network in each bucket starting at `starts` (the last ends at `until`), as
    `metrics_queries.volume` counts them: whole quarter-hours from the rollup, the rest from the rows."""
    bounds = [*starts, until]
    counts: list[dict[str, int]] = [defaultdict(int) for _ in starts]
    for index in range(len(starts)):
        lo, hi = bounds[index], bounds[index + 1]
        if hi <= lo:
            continue
        first, last = whole(lo, hi, QUARTER)
        if first <= last:
            for network, n in conn.execute(
                "SELECT network, sum(posts) FROM metrics_posts WHERE quarter BETWEEN ? AND ? "
                "GROUP BY network",
                (first, last),
            ):
                counts[index][network] += n
        for condition, params in edges("p.created_at", lo, hi, QUARTER):
            for network, n in conn.execute(
                f"SELECT p.network, count(*) FROM posts p INDEXED BY posts_metrics "
                f"WHERE {condition} AND p.is_ours = 0 GROUP BY p.network",
                params,
            ):
                counts[index][network] += n
    return [{k: v for k, v in found.items() if v} for found in counts]


def backlog(conn: sqlite3.Connection, now: float) -> mq.Backlog:
    """Open actionable customer posts at `now` and how old they are, from their count per hour."""
    where = "status IN ('new', 'open', 'escalated') AND actionable = 1 AND is_ours = 0"
    (size,) = conn.execute("SELECT total(n) FROM metrics_backlog").fetchone()
    oldest = conn.execute(
        f"SELECT created_at FROM posts INDEXED BY posts_backlog WHERE {where} ORDER BY created_at LIMIT 1"
    ).fetchone()

    def below(time: float) -> int:
        end = int(time / HOUR)
        (count,) = conn.execute("SELECT total(n) FROM metrics_backlog WHERE hour < ?", (end,)).fetchone()
        (more,) = conn.execute(
            f"SELECT count(*) FROM posts INDEXED BY posts_backlog WHERE {where} AND created_at >= ? "
            f"AND created_at < ? AND {unit('created_at', HOUR)} >= ?",
            (end * HOUR - 1, time, end),
        ).fetchone()
        return int(count) + more

    return mq.Backlog(int(size), oldest[0] if oldest else None, below(now - 3600), below(now - 86400))
