"""Replies, resolutions and reopenings by network from the pair rollups (store/metrics_pair_schema.py): an
event of the period counts for its post's network when its post arrived in the period too, so the cells
of whole days and quarter-hours answer most of it, and the period's edges are read from the rows.

Each figure is the one `metrics_queries.figures` gives by network without business hours (its scope: the
period's customer posts, and the posts whose survey answers fall in it); tests/metrics/test_pair_rollups.py
holds the two to the same reports.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from socialdesk.store.metrics_pair_schema import PER_DAY, REOPENED, REPLY
from socialdesk.store.metrics_rollup_schema import QUARTER, status_of, unit
from socialdesk.store.metrics_rollups import edges, picked, spread, tenth_of, whole

Counts = dict[str, dict[int, int]]  # network -> REPLY, REOPENED, or a tenth of a bucket or fine bucket -> n
Loose = dict[str, list[tuple[int, float]]]  # network -> (fine, duration) of resolutions read from rows

_EARLIER = (  # the status before change `a`, as the statements read it
    "(SELECT json_extract(b.detail, '$.status') FROM audit b INDEXED BY audit_post "
    "WHERE b.post_id = a.post_id AND b.action = 'status' AND (b.at < a.at OR (b.at = a.at AND b.id < a.id)) "
    "ORDER BY b.at DESC, b.id DESC LIMIT 1)"
)


def figures(conn: sqlite3.Connection, since: float, until: float) -> dict[str, dict[str, object]] | None:
    """Per network: replies, resolutions (count, median, p90) and reopenings of [since, until) whose post
    is in the network's scope; None when a status change came in out of the log's order (or a post with
    changes went), so the rollups no longer answer."""
    if conn.execute("SELECT 1 FROM metrics_stale").fetchone():
        return None
    first, last = whole(since, until, QUARTER)
    days = (-(-first // PER_DAY), (last + 1) // PER_DAY - 1)
    counts: Counts = defaultdict(lambda: defaultdict(int))  # resolutions per tenth of a bucket
    fines: Counts = defaultdict(lambda: defaultdict(int))  # those of the quarter cells and rows, per fine
    if first <= last:
        _cells(conn, first, last, days, counts, fines)
        _early(conn, since, until, first, last, counts, fines)
    loose: Loose = defaultdict(list)
    for sql, params in _rows(since, until, first, last):
        for network, what, took in conn.execute(sql, params):
            if what >= 0:
                loose[network].append((what, took))
                counts[network][what // 100] += 1
                fines[network][what] += 1
            else:
                counts[network][what] += 1
    out: dict[str, dict[str, object]] = {}
    for network, found in counts.items():
        values: dict[str, object] = {}
        if found.get(REPLY):
            values["replies"] = found[REPLY]
        if found.get(REOPENED):
            values["reopened"] = found[REOPENED]
        tenths = {t: n for t, n in found.items() if t >= 0 and n}
        resolved = sum(tenths.values())
        if resolved > 0:
            within = _Within(conn, since, first, last, days, network, fines[network], loose[network])
            median, p90 = spread(tenths, within.buckets, within.pick_in_bucket)
            values.update(resolved=resolved, resolution_median=median, resolution_p90=p90)
        if values:
            out[network] = values
    return out


def _cells(
    conn: sqlite3.Connection, first: int, last: int, days: tuple[int, int], counts: Counts, fines: Counts
) -> None:
    """Add the cells whose event and post both fall in the whole quarter-hours first..last: whole days
    from the day cells, the rest (events or posts in the quarter-hours outside whole days) from the
    quarter cells."""
    d1, d2 = days
    parts: list[tuple[str, tuple[int, int, int, int]]] = []
    every = "SELECT network, what, sum(n) FROM metrics_pairs_q"
    if d1 <= d2:
        for network, what, n in conn.execute(
            "SELECT network, what, sum(n) FROM metrics_pairs_d WHERE e BETWEEN ? AND ? AND p BETWEEN ? AND ? "
            "GROUP BY network, what",
            (d1, d2, d1, d2),
        ):
            counts[network][what] += n
        inside = (d1 * PER_DAY, (d2 + 1) * PER_DAY - 1)
        for lo, hi in ((first, inside[0] - 1), (inside[1] + 1, last)):
            if lo <= hi:  # events in whole days, posts outside them; events outside whole days
                parts.append((f"{every} INDEXED BY metrics_pairs_q_post WHERE p BETWEEN ? AND ? "
                              "AND e BETWEEN ? AND ? GROUP BY network, what", (lo, hi, *inside)))  # fmt: skip
                parts.append((f"{every} WHERE e BETWEEN ? AND ? AND p BETWEEN ? AND ? GROUP BY network, what",
                              (lo, hi, first, last)))  # fmt: skip
    else:
        parts.append(
            (
                f"{every} WHERE e BETWEEN ? AND ? AND p BETWEEN ? AND ? GROUP BY network, what",
                (first, last) * 2,
            )
        )
    for sql, params in parts:
        for network, what, n in conn.execute(sql, params):
            if what >= 0:
                counts[network][what // 100] += n
                fines[network][what] += n
            else:
                counts[network][what] += n


def _early(
    conn: sqlite3.Connection, since: float, until: float, first: int, last: int, counts: Counts, fines: Counts
) -> None:
    """Take away the cells' resolutions whose previous one (before their post arrived) falls in the period:
    they follow a resolution in the period, and only the first counts."""
    for network, f, n in conn.execute(
        "SELECT x.network, m.fine, count(*) FROM metrics_pairs_early y INDEXED BY metrics_pairs_early_time "
        "CROSS JOIN metrics_resolutions m ON m.change_id = y.change_id "
        "CROSS JOIN posts x NOT INDEXED ON x.id = m.post_id WHERE y.prev_at >= ? AND y.prev_at < ? "
        f"AND {unit('m.at', QUARTER)} BETWEEN ? AND ? AND {unit('x.created_at', QUARTER)} BETWEEN ? AND ? "
        "AND x.is_ours = 0 GROUP BY 1, 2",
        (since, until, first, last, first, last),
    ):
        counts[network][f // 100] -= n
        fines[network][f] -= n


def _events_at(condition: str, posts: str) -> list[str]:
    """Statements selecting (network, what, duration) for the events whose time (`{t}` in `condition`)
    meets it and whose post `x` meets `posts`: sent replies, first resolutions in the period (parameter
    `:since`), reopenings."""
    return [
        "SELECT x.network, -1, NULL FROM replies r INDEXED BY replies_state_time "
        "CROSS JOIN posts x NOT INDEXED ON x.id = r.post_id "
        f"WHERE r.state = 'sent' AND {condition.format(t='r.updated_at')} AND r.part = 1 AND {posts}",
        "SELECT x.network, m.fine, m.took FROM metrics_resolutions m INDEXED BY metrics_resolutions_time "
        "CROSS JOIN posts x NOT INDEXED ON x.id = m.post_id "
        f"WHERE {condition.format(t='m.at')} AND (m.prev_at IS NULL OR m.prev_at < :since) AND {posts}",
        "SELECT x.network, -2, NULL FROM audit a INDEXED BY audit_action_time "
        "CROSS JOIN posts x NOT INDEXED ON x.id = a.post_id "
        f"WHERE a.action = 'status' AND {condition.format(t='a.at')} "
        f"AND {status_of('a.detail')} IN ('open', 'new') AND {_EARLIER} = 'resolved' AND {posts}",
    ]


def _events_of(posts: str, condition: str) -> list[str]:
    """Statements selecting (network, what, duration) for the events of the posts `posts` selects (id,
    network) whose time (`{t}`) meets `condition`: sent replies, first resolutions, reopenings."""
    head = f"WITH scoped AS MATERIALIZED ({posts}) "
    return [
        f"{head}SELECT o.network, -1, NULL FROM scoped o CROSS JOIN replies r INDEXED BY replies_post "
        f"ON r.post_id = o.id WHERE r.state = 'sent' AND r.part = 1 AND {condition.format(t='r.updated_at')}",
        f"{head}SELECT o.network, m.fine, m.took FROM scoped o CROSS JOIN audit b INDEXED BY audit_post "
        "ON b.post_id = o.id CROSS JOIN metrics_resolutions m ON m.change_id = b.id "
        f"WHERE b.action = 'status' AND {condition.format(t='m.at')} "
        "AND (m.prev_at IS NULL OR m.prev_at < :since)",
        f"{head}SELECT o.network, -2, NULL FROM scoped o CROSS JOIN audit a INDEXED BY audit_post "
        "ON a.post_id = o.id "
        f"WHERE a.action = 'status' AND {condition.format(t='a.at')} "
        f"AND {status_of('a.detail')} IN ('open', 'new') AND {_EARLIER} = 'resolved'",
    ]


def _rows(since: float, until: float, first: int, last: int) -> list[tuple[str, dict[str, object]]]:
    """What the cells leave out, read from the rows: events at the period's edges (outside its whole
    quarter-hours) of posts in it, events in whole quarter-hours of posts at its edges, and the events of
    posts in scope by a survey answer of the period rather than by arrival."""
    params: dict[str, object] = {"since": since, "until": until, "first": first, "last": last}
    found: list[tuple[str, dict[str, object]]] = []
    in_period = "x.created_at >= :since AND x.created_at < :until AND x.is_ours = 0"
    for index, (condition, values) in enumerate(edges("{t}", since, until, QUARTER)):
        named = _named(condition, values, f"e{index}")
        bound = {**params, **dict(zip(named[1], values, strict=True))}
        found += [(sql, bound) for sql in _events_at(named[0], in_period)]
        if first <= last:  # posts at this edge, their events in the whole quarter-hours
            arrived = named[0].format(t="p.created_at")
            posts = "SELECT p.id AS id, p.network AS network FROM posts p INDEXED BY posts_metrics "
            posts += f"WHERE {arrived} AND p.is_ours = 0"
            whole_q = f"{unit('{t}', QUARTER)} BETWEEN :first AND :last"
            found += [(sql, bound) for sql in _events_of(posts, whole_q)]
    surveyed = (
        "SELECT x.id AS id, x.network AS network FROM (SELECT DISTINCT s.post_id AS id FROM survey_answers s "
        "INDEXED BY survey_answers_time WHERE s.answered_at >= :since AND s.answered_at < :until) a "
        f"CROSS JOIN posts x NOT INDEXED ON x.id = a.id WHERE NOT ({in_period})"
    )
    found += [(sql, params) for sql in _events_of(surveyed, "{t} >= :since AND {t} < :until")]
    return found


def _named(condition: str, values: tuple[float, ...], prefix: str) -> tuple[str, list[str]]:
    """`condition` with its `?` placeholders named `prefix0`, `prefix1` ... (the names, in order)."""
    names = [f"{prefix}_{i}" for i in range(len(values))]
    parts = condition.split("?")
    text = parts[0] + "".join(f":{name}{part}" for name, part in zip(names, parts[1:], strict=True))
    return text, names


class _Within:
    """A network's resolutions inside a tenth of a bucket (`buckets`) and inside a bucket (`pick_in_bucket`):
    per day from the day cells, the rest (quarter cells and rows) counted per fine bucket in `fines`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        since: float,
        first: int,
        last: int,
        days: tuple[int, int],
        network: str,
        fines: dict[int, int],
        loose: list[tuple[int, float]],
    ) -> None:
        self.conn, self.since, self.first, self.last = conn, since, first, last
        self.days, self.network, self.fines, self.loose = days, network, fines, loose

    def _per_day(self, table: str, column: str, top: int) -> dict[int, int]:
        """Per value of `column` in top * 10 .. top * 10 + 9: the network's resolutions in the day cells."""
        d1, d2 = self.days
        if d1 > d2:
            return {}
        tenth, values = tenth_of(column, top)
        return dict(
            self.conn.execute(
                f"SELECT {column}, sum(n) FROM {table} WHERE network = ? AND {tenth} "
                f"AND e BETWEEN ? AND ? AND p BETWEEN ? AND ? GROUP BY {column}",
                (self.network, *values, d1, d2, d1, d2),
            ).fetchall()
        )

    def buckets(self, tenth: int) -> dict[int, int]:
        """The resolutions of a tenth per bucket."""
        found: dict[int, int] = defaultdict(int, self._per_day("metrics_pairs_b", "bucket", tenth))
        for f, n in self.fines.items():
            if f // 100 == tenth:
                found[f // 10] += n
        return {b: n for b, n in found.items() if n}

    def pick_in_bucket(self, bucket: int, offset: int, limit: int) -> list[float]:
        """A bucket's durations from its `offset`-th on (smallest first), read from the fine bucket(s)
        that hold them."""
        found: dict[int, int] = defaultdict(int, self._per_day("metrics_pairs_fine", "fine", bucket))
        for f, n in self.fines.items():
            if f // 10 == bucket:
                found[f] += n
        return picked(found, self._pick, offset, limit)

    def _pick(self, f: int, offset: int, limit: int) -> list[float]:
        """The durations of fine bucket `f`, smallest first, from the `offset`-th on: the first
        resolutions in the period with their posts in its whole quarter-hours (by the network and
        quarter-hour each carries of its post, migration 34), and those read from rows."""
        values = [took for fine, took in self.loose if fine == f]
        first, last = self.first, self.last
        if first <= last:
            lo, hi = first * QUARTER - 1, (last + 1) * QUARTER + 1  # bounds for the index; units decide
            values += [
                row[0]
                for row in self.conn.execute(
                    "SELECT took FROM metrics_resolutions INDEXED BY metrics_resolutions_network "
                    "WHERE post_network = ? AND fine = ? AND at >= ? AND at < ? "
                    f"AND {unit('at', QUARTER)} BETWEEN ? AND ? "
                    "AND (prev_at IS NULL OR prev_at < ?) AND post_quarter BETWEEN ? AND ?",
                    (self.network, f, lo, hi, first, last, self.since, first, last),
                )
            ]
        values.sort()
        return values[offset : offset + limit]
