"""The metrics' SQL: one period's figures (counts, medians, p90s, SLA, replies, survey answers), volume by
bucket and the backlog, each computed by SQLite over indexes, overall or per group of a breakdown.

Posts are read through `posts_metrics` (a covering index on arrival time over customer posts) and the
backlog through `posts_backlog` (a covering index over the open actionable posts only): no figure scans
the table, and a post's row is read only by its id, for the period's status changes and survey answers
(`CROSS JOIN ... NOT INDEXED` pins that order: on a small cache SQLite's statistics once chose to scan
the posts for each change). Replies, status changes and survey answers are ranges over their time
indexes. Business hours arrive as a calendar of open stretches in the temporary table
`metrics_calendar`: a time's working seconds since the calendar's start is one indexed lookup, and a
duration is the difference of two. A breakdown's groups are the rows of the temporary table
`metrics_scope` (group, post). The definitions are the README's ("Metrics").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

import msgspec

from socialdesk.store.queries import PostFilter, filter_sql
from socialdesk.store.rows import json_array

OVERALL = ""  # the group name of figures that are not broken down
SENTIMENTS = ("positive", "neutral", "negative")

_TEMP_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS metrics_calendar ("
    "start REAL PRIMARY KEY, stop REAL NOT NULL, before REAL NOT NULL) WITHOUT ROWID",
    "CREATE TEMP TABLE IF NOT EXISTS metrics_scope ("
    "post_id INTEGER NOT NULL, grp TEXT NOT NULL, PRIMARY KEY (post_id, grp)) WITHOUT ROWID",
)


class Backlog(msgspec.Struct, frozen=True):
    """Open actionable customer posts right now, and how old they are."""

    size: int
    oldest: float | None
    older_than_hour: int
    older_than_day: int


def prepare(conn: sqlite3.Connection, calendar: Iterable[tuple[float, float]] | None) -> None:
    """Empty this connection's temporary tables and load the business-hours calendar (open stretches,
    oldest first; None: every second counts)."""
    conn.create_aggregate("median_p90", 1, MedianP90)  # type: ignore[arg-type]  # typeshed types step and finalize for int
    for table in _TEMP_TABLES:  # one by one: executescript would first commit an open transaction
        conn.execute(table)
    conn.execute("DELETE FROM temp.metrics_calendar")
    conn.execute("DELETE FROM temp.metrics_scope")
    if calendar is None:
        return
    rows: list[tuple[float, float, float]] = []
    before = 0.0
    for start, stop in calendar:
        if rows and start <= rows[-1][1]:  # overlapping opening hours: a second open only once
            first, last, earlier = rows.pop()
            before, start, stop = earlier, first, max(last, stop)
        rows.append((start, stop, before))
        before += stop - start
    conn.executemany("INSERT INTO temp.metrics_calendar (start, stop, before) VALUES (?, ?, ?)", rows)


def calendar_bounds(conn: sqlite3.Connection, since: float, until: float) -> tuple[float, float]:
    """The earliest and latest times a duration of [since, until) can start or end at: arrivals of
    the posts resolved in it, and first responses of its posts (which may come after it)."""
    arrived, answered = conn.execute(
        "SELECT min(p.created_at), max(p.first_response_at) FROM posts p INDEXED BY posts_metrics "
        "WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0",
        (since, until),
    ).fetchone()
    (resolved,) = conn.execute(
        "SELECT min(p.created_at) FROM audit a INDEXED BY audit_action_time "
        "CROSS JOIN posts p NOT INDEXED ON p.id = a.post_id "
        "WHERE a.action = 'status' AND a.at >= ? AND a.at < ?",
        (since, until),
    ).fetchone()
    lows = [t for t in (since, arrived, resolved) if t is not None]
    return min(lows), max(until, answered or until)


def _working(expr: str, business: bool) -> str:
    """SQL for the working seconds from the calendar's start to the time `expr`."""
    if not business:
        return expr
    return (
        f"coalesce((SELECT c.before + min(max({expr} - c.start, 0.0), c.stop - c.start) "
        f"FROM temp.metrics_calendar c WHERE c.start <= {expr} ORDER BY c.start DESC LIMIT 1), 0.0)"
    )


def _between(start: str, end: str, business: bool) -> str:
    """SQL for the working seconds from `start` to `end` (0 when `end` is not after `start`)."""
    return f"max(0.0, {_working(end, business)} - {_working(start, business)})"


class MedianP90:
    """The SQL aggregate `median_p90(x)`: the median (the mean of the middle two for an even count) and
    the nearest-rank 90th percentile of the non-null values, as the JSON text "[median, p90]" (NULL
    for none). SQLite has no percentile function built in, and its window functions sort far slower
    than this one sort of the values (README, "Metrics")."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        """Take one value (NULL is skipped)."""
        if value is not None:
            self.values.append(value)

    def finalize(self) -> str | None:
        """The "[median, p90]" of the values taken."""
        values = self.values
        if not values:
            return None
        values.sort()
        n = len(values)
        middle = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
        return json.dumps([middle, values[max(1, (9 * n + 9) // 10) - 1]])


def _spread(text: str | None) -> tuple[float | None, float | None]:
    """(median, p90) from `median_p90`'s result."""
    if text is None:
        return None, None
    median, p90 = json.loads(text)
    return median, p90


def _group_by(by: str | None, columns: str = "g") -> str:
    """GROUP BY for a breakdown; none overall (all rows are one group: no sort needed)."""
    return "" if by is None else f"GROUP BY {columns}"


def _scoped(by: str | None, agent_column: str, post_column: str) -> tuple[str, str]:
    """(group expression, join) for rows that belong to a group by their agent or by their post."""
    if by is None:
        return f"'{OVERALL}'", ""
    if by == "agent":
        return agent_column, ""
    # CROSS JOIN: SQLite never reorders it, so the period's range stays the outer loop.
    return "s.grp", f"CROSS JOIN temp.metrics_scope s ON s.post_id = {post_column}"


def figures(
    conn: sqlite3.Connection,
    since: float,
    until: float,
    now: float,
    by: str | None,
    business: bool,
    satisfied: int,
    posts: bool = True,
    events: bool = True,
) -> dict[str, dict[str, object]]:
    """The figures of [since, until) per group (`OVERALL` when `by` is None), as the fields of the
    services' `Figures`.

    Args:
        now: when unanswered posts are judged against their SLA target.
        by: the breakdown, whose groups' posts `fill_scope` put in `metrics_scope`.
        business: whether durations run on the calendar `prepare` loaded.
        satisfied: the lowest survey score that counts as satisfied.
        posts: whether to compute the posts' figures (volume ... first response, SLA) too.
        events: whether to compute the status changes' and replies' figures too.
    """
    out: dict[str, dict[str, object]] = {}

    def put(group: str, **values: object) -> None:
        out.setdefault(group, {}).update(values)

    params = {"since": since, "until": until, "now": now}
    others = False
    for g, volume, actionable, answered, met, missed, *labels, other, responses in (
        conn.execute(_posts_sql(by, business), params) if posts else ()
    ):
        if volume:
            sentiment = {k: n for k, n in zip(SENTIMENTS, labels, strict=True) if n}
            median, p90 = _spread(responses)
            put(g, volume=volume, actionable=actionable, answered=answered, sla_met=met, sla_missed=missed,
                sentiment=sentiment, first_response_median=median, first_response_p90=p90)  # fmt: skip
        others = others or bool(other)
    for g, label, count in conn.execute(_other_sentiments_sql(by), params) if others else ():
        labelled = out[g]["sentiment"]
        assert isinstance(labelled, dict)
        labelled[label] = count
    for kind, g, count, spread in conn.execute(_changes_sql(by, business), params) if events else ():
        if kind == "resolved":
            median, p90 = _spread(spread)
            put(g, resolved=count, resolution_median=median, resolution_p90=p90)
        elif count:
            put(g, reopened=count)
    for g, replies in conn.execute(_replies_sql(by), params) if events else ():
        put(g, replies=replies)
    for g, answers, average, pleased in conn.execute(_answers_sql(by), {**params, "satisfied": satisfied}):
        put(g, csat_responses=answers, csat_average=average, csat_satisfied=pleased)
    return out


def _post_scope(by: str | None) -> tuple[str, str]:
    """Posts belong to a group by their id in `metrics_scope` (an agent's: the posts they touched)."""
    return _scoped(None if by is None else "post", "", "p.id")


def _posts_source(by: str | None, business: bool) -> str:
    """The period's customer posts, each with its group and what the figures need of it."""
    group, join = ("p.network", "") if by == "network" else _post_scope(by)  # one network per post
    waited = _between("p.created_at", "p.first_response_at", business)
    waiting = _between("p.created_at", ":now", business)
    return (
        f"SELECT {group} AS g, p.actionable AS actionable, p.sentiment_label AS sentiment, "
        f"p.actionable AND p.first_response_at IS NOT NULL AND p.first_response_at != 0 AS answered, "
        f"CASE WHEN p.actionable AND p.first_response_at IS NOT NULL THEN {waited} END AS waited, "
        "CASE WHEN p.actionable AND p.due_at IS NOT NULL THEN max(0.0, p.due_at - p.created_at) END "
        "AS target, "
        "CASE WHEN p.actionable AND p.due_at IS NOT NULL AND p.first_response_at IS NULL "
        f"AND p.status NOT IN ('resolved', 'closed') THEN {waiting} END AS open_wait "
        f"FROM posts p INDEXED BY posts_metrics {join} "
        "WHERE p.created_at >= :since AND p.created_at < :until AND p.is_ours = 0"
    )


def _posts_sql(by: str | None, business: bool) -> str:
    """Per group: volume, actionable, answered, SLA met and missed, the usual sentiments, any other, and
    the first responses' median and p90, in one pass over the index."""
    labels = ", ".join(f"CAST(total(sentiment = '{label}') AS INTEGER)" for label in SENTIMENTS)
    return (
        f"WITH posts_of AS ({_posts_source(by, business)}) "
        "SELECT g, count(*), CAST(total(actionable) AS INTEGER), CAST(total(answered) AS INTEGER), "
        "CAST(total(waited <= target) AS INTEGER), "
        "CAST(total(waited > target OR open_wait > target) AS INTEGER), "
        f"{labels}, total(sentiment NOT IN ('', {', '.join(repr(x) for x in SENTIMENTS)})), "
        f"median_p90(CASE WHEN answered THEN waited END) FROM posts_of {_group_by(by)}"
    )


def _other_sentiments_sql(by: str | None) -> str:
    """Sentiment labels besides the usual three (rare: read only when the counts say there are some)."""
    group, join = _post_scope(by)
    return (
        f"SELECT {group} AS g, p.sentiment_label, count(*) FROM posts p INDEXED BY posts_metrics {join} "
        "WHERE p.created_at >= :since AND p.created_at < :until AND p.is_ours = 0 "
        f"AND p.sentiment_label NOT IN ('', {', '.join(repr(x) for x in SENTIMENTS)}) "
        "GROUP BY g, p.sentiment_label"
    )


def _changes_sql(by: str | None, business: bool) -> str:
    """Resolutions (the first in the period per post, timed from the post's arrival) and reopenings (a
    change to open or new whose previous status was resolved: the previous of the group's changes, else
    the audit log's last before it), as rows ('resolved', g, n, median, p90) and ('reopened', g, n)."""
    group, join = _scoped(by, "a.agent", "a.post_id")
    source = (
        f"SELECT {group} AS g, a.id AS id, a.post_id AS post_id, "
        "IFNULL(json_extract(a.detail, '$.status'), '') AS status, a.at AS at, p.created_at AS created "
        "FROM audit a INDEXED BY audit_action_time "
        f"CROSS JOIN posts p NOT INDEXED ON p.id = a.post_id {join} "
        "WHERE a.action = 'status' AND a.at >= :since AND a.at < :until"
    )
    took = _between("created", "at", business)
    earlier = (
        "(SELECT json_extract(b.detail, '$.status') FROM audit b INDEXED BY audit_post "
        "WHERE b.post_id = c.post_id AND b.action = 'status' AND {before} "
        "ORDER BY b.at DESC, b.id DESC LIMIT 1)"
    )
    if by == "agent":  # the agent's own previous change of the post in the period, else the log's
        before = (
            "coalesce((SELECT c2.status FROM changes c2 WHERE c2.g = c.g AND c2.post_id = c.post_id "
            "AND (c2.at < c.at OR (c2.at = c.at AND c2.id < c.id)) ORDER BY c2.at DESC, c2.id DESC LIMIT 1), "
            f"{earlier.format(before='b.at < c.at')})"
        )
    else:  # every change of a post is in its groups: the previous one in the log, in or before the period
        before = earlier.format(before="(b.at < c.at OR (b.at = c.at AND b.id < c.id))")
    firsts_by = "post_id" if by is None else "g, post_id"
    return (
        f"WITH changes AS MATERIALIZED ({source}), "
        f"firsts AS (SELECT g, post_id, {took} AS took FROM (SELECT g, post_id, "
        f"min(at) AS at, created FROM changes WHERE status = 'resolved' GROUP BY {firsts_by})), "
        f"counts AS (SELECT g, count(*) AS n, median_p90(took) AS spread FROM firsts {_group_by(by)}) "
        "SELECT 'resolved', g, n, spread FROM counts WHERE n > 0 "
        f"UNION ALL SELECT 'reopened', c.g, count(*), NULL FROM changes c "
        f"WHERE c.status IN ('open', 'new') AND {before} = 'resolved' {_group_by(by, 'c.g')}"
    )


def _replies_sql(by: str | None) -> str:
    """Sent replies of the period, a thread of parts counted once (by its first part)."""
    group, join = _scoped(by, "r.agent", "r.post_id")
    return (
        f"SELECT {group} AS g, count(*) FROM replies r INDEXED BY replies_state_time {join} "
        "WHERE r.state = 'sent' AND r.updated_at >= :since AND r.updated_at < :until AND r.part = 1 "
        "GROUP BY g"
    )


# Survey answers given in [since, until), with the conversation's network and the agent rated: the one
# whose reply was sent last before the answer (the survey invitation, usually), else whoever holds it.
_ANSWERS = (
    "SELECT s.post_id AS post_id, p.network AS network, coalesce((SELECT r.agent FROM replies r "
    "INDEXED BY replies_post WHERE r.post_id = s.post_id AND r.state = 'sent' "
    "AND r.updated_at <= s.answered_at ORDER BY r.updated_at DESC, r.id DESC LIMIT 1), "
    "nullif(p.assigned_to, ''), '?') AS agent, s.score AS score "
    "FROM survey_answers s INDEXED BY survey_answers_time "
    "CROSS JOIN posts p NOT INDEXED ON p.id = s.post_id "
    "WHERE s.answered_at >= :since AND s.answered_at < :until"
)


def _answers_sql(by: str | None) -> str:
    group, join = _scoped(by, "a.agent", "a.post_id")
    return (
        f"WITH a AS MATERIALIZED ({_ANSWERS}) "
        f"SELECT {group} AS g, count(*), avg(a.score), CAST(total(a.score >= :satisfied) AS INTEGER) "
        f"FROM a {join} GROUP BY g"
    )


def answers_by_network(
    conn: sqlite3.Connection, since: float, until: float, satisfied: int
) -> dict[str, dict[str, object]]:
    """Survey answers of [since, until) per network (their conversation's), as `figures` gives them by
    network: without the scope table, since an answer's own post is always in its network's scope."""
    rows = conn.execute(
        f"WITH a AS MATERIALIZED ({_ANSWERS}) SELECT a.network, count(*), avg(a.score), "
        "CAST(total(a.score >= :satisfied) AS INTEGER) FROM a GROUP BY a.network",
        {"since": since, "until": until, "satisfied": satisfied},
    )
    return {g: {"csat_responses": n, "csat_average": avg, "csat_satisfied": ok} for g, n, avg, ok in rows}


def fill_scope(
    conn: sqlite3.Connection,
    by: str,
    since: float,
    until: float,
    queues: Sequence[tuple[str, PostFilter]] = (),
) -> list[str]:
    """Put each group's posts of [since, until) in `metrics_scope` and return the groups' names.

    `network` and `tag` split the period's posts (by network, survey answers of the period count for
    their conversation's network too); `queue`: the posts each saved queue selects now; `agent`: the
    posts an agent's replies, status changes and rated answers of the period touched.
    """
    insert = "INSERT OR IGNORE INTO temp.metrics_scope (grp, post_id) "
    params = {"since": since, "until": until}
    in_period = "p.created_at >= :since AND p.created_at < :until AND p.is_ours = 0"
    if by == "network":
        conn.execute(
            insert + f"SELECT p.network, p.id FROM posts p INDEXED BY posts_metrics WHERE {in_period}", params
        )
        conn.execute(insert + f"SELECT a.network, a.post_id FROM ({_ANSWERS}) a", params)
    elif by == "tag":
        conn.execute(
            insert + "SELECT t.tag, p.id FROM posts p INDEXED BY posts_metrics "
            f"JOIN post_tags t ON t.post_id = p.id WHERE {in_period}",
            params,
        )
    elif by == "queue":
        for name, flt in queues:
            where, extra = filter_sql(flt)
            # A saved queue may test any column, so its posts are read through the time index's rows.
            conn.execute(
                insert + "SELECT ?, p.id FROM posts p INDEXED BY posts_feed "
                f"WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0 AND {where}",
                (name, since, until, *extra),
            )
    else:
        conn.execute(
            insert + "SELECT CASE WHEN r.agent != '' THEN r.agent ELSE '?' END, r.post_id "
            "FROM replies r INDEXED BY replies_state_time WHERE r.state = 'sent' AND r.updated_at >= :since "
            "AND r.updated_at < :until AND r.part = 1 AND r.post_id IS NOT NULL",
            params,
        )
        conn.execute(
            insert + "SELECT a.agent, a.post_id FROM audit a INDEXED BY audit_action_time "
            "CROSS JOIN posts p NOT INDEXED ON p.id = a.post_id "
            "WHERE a.action = 'status' AND a.at >= :since AND a.at < :until",
            params,
        )
        conn.execute(insert + f"SELECT a.agent, a.post_id FROM ({_ANSWERS}) a", params)
    names = {row[0] for row in conn.execute("SELECT DISTINCT grp FROM temp.metrics_scope")}
    names.update(name for name, _ in queues if by == "queue")
    return sorted(names)


def volume(conn: sqlite3.Connection, starts: Sequence[float], until: float) -> list[dict[str, int]]:
    """Customer posts per network in each bucket starting at `starts` (the last one ends at `until`)."""
    edges = [*starts[1:], until]
    bounds = [[start, stop] for start, stop in zip(starts, edges, strict=True)]
    counts: list[dict[str, int]] = [{} for _ in starts]
    rows = conn.execute(
        "SELECT b.key, p.network, count(*) FROM json_each(?) b CROSS JOIN posts p INDEXED BY posts_metrics "
        "ON p.created_at >= json_extract(b.value, '$[0]') AND p.created_at < json_extract(b.value, '$[1]') "
        "AND p.is_ours = 0 GROUP BY b.key, p.network",
        (json_array(bounds),),
    )
    for index, network, count in rows:
        counts[index][network] = count
    return counts


def backlog(conn: sqlite3.Connection, now: float) -> Backlog:
    """Open actionable customer posts at `now`, read from the index that holds only those."""
    size, oldest, hour, day = conn.execute(
        "SELECT count(*), min(created_at), total(created_at < ?), total(created_at < ?) "
        "FROM posts INDEXED BY posts_backlog "
        "WHERE status IN ('new', 'open', 'escalated') AND actionable = 1 AND is_ours = 0",
        (now - 3600, now - 86400),
    ).fetchone()
    return Backlog(size, oldest, int(hour), int(day))
