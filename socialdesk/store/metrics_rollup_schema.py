"""The metrics' rollups as a migration: tables of per-quarter-hour and per-day sums kept by triggers on
posts, replies and the audit log, the indexes that read exact values inside them, and their backfill.

What each figure sums is the expression `store/metrics_queries.py` computes it with (README, "Metrics"):
a rollup row is what those statements would give for the rows of its quarter-hour (or day), so a
period made of whole quarter-hours is the sum of its rows. Times are split with SQLite's own
`CAST(t / width AS INTEGER)`, and `store/metrics_rollups.py` reads what lies outside whole units from
the rows themselves.
"""

from __future__ import annotations

QUARTER = 900.0  # every time zone's offset is a whole number of quarter-hours
DAY = 86400.0
HOUR = 3600.0
SENTIMENTS = ("positive", "neutral", "negative")


def unit(expr: str, width: float) -> str:
    """SQL for the quarter-hour, hour or day (by `width`) a time falls in."""
    return f"CAST({expr} / {width!r} AS INTEGER)"


def fine(expr: str) -> str:
    """SQL for a duration's fine histogram bucket: its whole seconds' digit count and first three digits
    (0.1-1% wide), ordered like the durations, with no math functions (`ln` is optional in SQLite builds,
    and a trigger using it would stop every write to posts where it is missing)."""
    whole = f"CAST({expr} AS INTEGER)"
    return f"(length({whole}) * 1000 + CAST(substr({whole} || '00', 1, 3) AS INTEGER))"


def bucket(expr: str) -> str:
    """SQL for a duration's histogram bucket: ten fine buckets (first two digits: 1-10% wide)."""
    return f"({fine(expr)} / 10)"


def waited(r: str) -> str:
    """A post's first-response wait (no business hours), as `_posts_source` computes it."""
    return f"max(0.0, {r}.first_response_at - {r}.created_at)"


def answered(r: str) -> str:
    return f"({r}.actionable AND {r}.first_response_at IS NOT NULL AND {r}.first_response_at != 0)"


def sla_open(r: str) -> str:
    """An actionable post with a target, unanswered and not resolved: missed once `now` passes it."""
    return (
        f"({r}.actionable AND {r}.due_at IS NOT NULL AND {r}.first_response_at IS NULL "
        f"AND {r}.status NOT IN ('resolved', 'closed'))"
    )


def in_backlog(r: str) -> str:
    return f"({r}.status IN ('new', 'open', 'escalated') AND {r}.actionable = 1 AND {r}.is_ours = 0)"


def post_sums(r: str) -> dict[str, str]:
    """What a customer post `r` counts for in each column of metrics_posts (0 or 1; `actionable` as
    stored, since the statements sum the column)."""
    wait = f"CASE WHEN {r}.actionable AND {r}.first_response_at IS NOT NULL THEN {waited(r)} END"
    target = (
        f"CASE WHEN {r}.actionable AND {r}.due_at IS NOT NULL THEN max(0.0, {r}.due_at - {r}.created_at) END"
    )
    labels = ", ".join(repr(x) for x in SENTIMENTS)
    return {
        "posts": "1",
        "actionable": f"{r}.actionable",
        **{label: f"({r}.sentiment_label = '{label}')" for label in SENTIMENTS},
        "other_labels": f"({r}.sentiment_label NOT IN ('', {labels}))",
        "answered": answered(r),
        "sla_met": f"coalesce(({wait}) <= ({target}), 0)",
        "sla_late": f"coalesce(({wait}) > ({target}), 0)",
        "sla_open": sla_open(r),
    }


def _max_target(r: str) -> str:
    """The SLA target of an open post (0 for others): the rollup keeps the largest it has seen, an upper
    bound on how long after its quarter-hour a post of it can still be within its target."""
    return f"CASE WHEN {sla_open(r)} THEN max(0.0, {r}.due_at - {r}.created_at) ELSE 0.0 END"


def _posts_upserts(r: str, sign: str, tenths: bool = False) -> tuple[str, str, str]:
    """The statements adding (`sign` "+") or taking away ("-") post `r` in the posts' rollups: its
    quarter-hour's sums, its first response's bucket, its hour's backlog; with `tenths`, the day's
    first responses per network and tenth of a bucket (migration 35) instead of per bucket overall."""
    sums = post_sums(r)
    columns = ", ".join(["quarter", "network", *sums, "max_target"])
    top = _max_target(r) if sign == "+" else "0.0"
    values = ", ".join(
        [unit(f"{r}.created_at", QUARTER), f"{r}.network", *(f"{sign}{v}" for v in sums.values()), top]
    )
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in sums)
    day, counted = unit(f"{r}.created_at", DAY), f"WHERE {r}.is_ours = 0 AND {answered(r)}"
    if tenths:
        per_day = (
            "INSERT INTO metrics_response_tenths (day, network, tenth, n) "
            f"SELECT {day}, {r}.network, {bucket(waited(r))} / 10, {sign}1 {counted} "
            "ON CONFLICT (day, network, tenth) DO UPDATE SET n = n + excluded.n;\n"
        )
    else:
        per_day = (
            f"INSERT INTO metrics_response_days (day, bucket, n) SELECT {day}, {bucket(waited(r))}, {sign}1 "
            f"{counted} ON CONFLICT (day, bucket) DO UPDATE SET n = n + excluded.n;\n"
        )
    return (
        f"INSERT INTO metrics_posts ({columns}) SELECT {values} WHERE {r}.is_ours = 0 "
        f"ON CONFLICT (quarter, network) DO UPDATE SET {sets}, "
        "max_target = max(max_target, excluded.max_target);\n",
        "INSERT INTO metrics_response_hist (day, network, bucket, n) "
        f"SELECT {day}, {r}.network, {bucket(waited(r))}, {sign}1 {counted} "
        "ON CONFLICT (day, network, bucket) DO UPDATE SET n = n + excluded.n;\n"
        f"{per_day}"
        "INSERT INTO metrics_response_fine (fine, day, network, n) "
        f"SELECT {fine(waited(r))}, {day}, {r}.network, {sign}1 {counted} "
        "ON CONFLICT (fine, day, network) DO UPDATE SET n = n + excluded.n;\n",
        f"INSERT INTO metrics_backlog (hour, n) SELECT {unit(f'{r}.created_at', HOUR)}, {sign}1 "
        f"WHERE {in_backlog(r)} ON CONFLICT (hour) DO UPDATE SET n = n + excluded.n;\n",
    )


def reply_counted(r: str) -> str:
    """A reply the metrics count: sent, and a thread's first part."""
    return f"({r}.state = 'sent' AND {r}.part = 1)"


def _reply_upsert(r: str, sign: str) -> str:
    return (
        f"INSERT INTO metrics_replies (quarter, n) SELECT {unit(f'{r}.updated_at', QUARTER)}, {sign}1 "
        f"WHERE {reply_counted(r)} ON CONFLICT (quarter) DO UPDATE SET n = n + excluded.n;\n"
    )


def status_of(detail: str) -> str:
    """A status change's new status ('' when its detail names none), as the metrics read it."""
    return f"IFNULL(CASE WHEN json_valid({detail}) THEN json_extract({detail}, '$.status') END, '')"


def _earlier(what: str, extra: str = "", c: str = "new") -> str:
    """The post's previous status change in the log (by time, then id) before change `c`: `what` of it."""
    return (
        f"(SELECT {what} FROM audit b INDEXED BY audit_post WHERE b.post_id = {c}.post_id "
        f"AND b.action = 'status' {extra}AND (b.at < {c}.at OR (b.at = {c}.at AND b.id < {c}.id)) "
        "ORDER BY b.at DESC, b.id DESC LIMIT 1)"
    )


def previous_status(c: str) -> str:
    """SQL: the status the post of status change `c` had before it ('' when its change named none)."""
    return _earlier(status_of("b.detail"), "", c)


def previous_resolution(c: str) -> str:
    """SQL: when the post of status change `c` was last resolved before it (null: never)."""
    return _earlier("b.at", f"AND {status_of('b.detail')} = 'resolved' ", c)


def took(c: str, p: str) -> str:
    """SQL: how long after its post `p` arrived status change `c` came (a resolution's duration)."""
    return f"max(0.0, {c}.at - {p}.created_at)"


_PREVIOUS_STATUS = previous_status("new")
_PREVIOUS_RESOLUTION = previous_resolution("new")
_TOOK = took("new", "p")


_DAYS = """INSERT INTO metrics_response_days (day, bucket, n)
    SELECT day, bucket, sum(n) FROM metrics_response_hist GROUP BY day, bucket;
"""


def backfill(days: bool = True) -> str:
    """The rollups of the rows already in the cache: what the triggers would have summed, one pass over
    each table (a status change's previous ones through window functions, in the log's order); without
    `days`, no overall first responses per day (migration 35 replaced them)."""
    sums = post_sums("p")
    status = status_of("a.detail")
    resolutions = (
        "SELECT a.id AS change_id, a.post_id AS post_id, a.at AS at, max(0.0, a.at - p.created_at) AS took, "
        "lag(a.at) OVER (PARTITION BY a.post_id ORDER BY a.at, a.id) AS prev_at "
        f"FROM audit a JOIN posts p ON p.id = a.post_id WHERE a.action = 'status' AND {status} = 'resolved'"
    )
    changes = (
        f"SELECT a.at AS at, {status} AS status, a.post_id AS post_id, "
        f"lag({status}) OVER (PARTITION BY a.post_id ORDER BY a.at, a.id) AS prev "
        "FROM audit a WHERE a.action = 'status' AND a.post_id IS NOT NULL"
    )
    return f"""
INSERT INTO metrics_posts (quarter, network, {", ".join(sums)}, max_target)
    SELECT {unit("p.created_at", QUARTER)} AS q, p.network, {", ".join(f"total({v})" for v in sums.values())},
    max({_max_target("p")}) FROM posts p WHERE p.is_ours = 0 GROUP BY q, p.network;
INSERT INTO metrics_response_fine (fine, day, network, n)
    SELECT {fine(waited("p"))} AS f, {unit("p.created_at", DAY)} AS d, p.network, count(*)
    FROM posts p WHERE p.is_ours = 0 AND {answered("p")} GROUP BY f, d, p.network;
INSERT INTO metrics_response_hist (day, network, bucket, n)
    SELECT {unit("p.created_at", DAY)} AS d, p.network, {bucket(waited("p"))} AS b, count(*)
    FROM posts p WHERE p.is_ours = 0 AND {answered("p")} GROUP BY d, p.network, b;
{_DAYS if days else ""}INSERT INTO metrics_backlog (hour, n)
    SELECT {unit("p.created_at", HOUR)} AS h, count(*) FROM posts p WHERE {in_backlog("p")} GROUP BY h;
INSERT INTO metrics_replies (quarter, n)
    SELECT {unit("r.updated_at", QUARTER)} AS q, count(*) FROM replies r
    WHERE {reply_counted("r")} GROUP BY q;
INSERT INTO metrics_reopened (quarter, n)
    SELECT {unit("c.at", QUARTER)} AS q, count(*) FROM ({changes}) c
    WHERE c.status IN ('open', 'new') AND c.prev = 'resolved'
    AND EXISTS (SELECT 1 FROM posts WHERE id = c.post_id) GROUP BY q;
INSERT INTO metrics_resolutions (change_id, post_id, at, took, fine, prev_at)
    SELECT change_id, post_id, at, took, {fine("took")}, prev_at FROM ({resolutions});
{resolution_sums()}"""


def resolution_sums(where: str = "") -> str:
    """The backfill of the resolutions' day histograms from metrics_resolutions: the rows `where` (a
    WHERE clause) keeps, all by default."""
    return f"""INSERT INTO metrics_resolution_hist (day, bucket, n)
    SELECT {unit("at", DAY)} AS d, fine / 10 AS b, count(*) FROM metrics_resolutions {where}GROUP BY d, b;
INSERT INTO metrics_resolution_fine (fine, day, n)
    SELECT fine, {unit("at", DAY)} AS d, count(*) FROM metrics_resolutions {where}GROUP BY fine, d;
"""


def status_trigger(counted: str = "", carried: str = "", quarters: bool = False) -> str:
    """The trigger that follows a status change into the reopenings and resolutions; `counted` (" AND
    ..." on the new row `r` of metrics_resolutions) narrows the resolutions its day histograms count;
    `carried` (SQL on its post `p`) is what a resolution carries of its post (migration 34's columns);
    with `quarters`, a change out of the log's order lists the quarter-hours of the post's later
    changes as stale (migration 39)."""
    columns, values = (", post_network, post_quarter", f", {carried}") if carried else ("", "")
    later = (
        "FROM audit b INDEXED BY audit_post WHERE b.post_id = new.post_id AND b.action = 'status' "
        "AND b.id != new.id AND (b.at > new.at OR (b.at = new.at AND b.id > new.id))"
    )
    listed = (
        f"INSERT OR IGNORE INTO metrics_stale_quarters (quarter) SELECT {unit('b.at', QUARTER)} {later};\n"
        if quarters
        else ""
    )
    return f"""CREATE TRIGGER metrics_status_insert AFTER INSERT ON audit WHEN new.action = 'status' BEGIN
INSERT INTO metrics_reopened (quarter, n) SELECT {unit("new.at", QUARTER)}, 1
    WHERE {status_of("new.detail")} IN ('open', 'new') AND EXISTS (SELECT 1 FROM posts WHERE id = new.post_id)
    AND {_PREVIOUS_STATUS} = 'resolved'
    ON CONFLICT (quarter) DO UPDATE SET n = n + 1;
INSERT INTO metrics_resolutions (change_id, post_id, at, took, fine, prev_at{columns})
    SELECT new.id, new.post_id, new.at, {_TOOK}, {fine(_TOOK)}, {_PREVIOUS_RESOLUTION}{values}
    FROM posts p WHERE p.id = new.post_id AND {status_of("new.detail")} = 'resolved';
INSERT INTO metrics_resolution_hist (day, bucket, n)
    SELECT {unit("r.at", DAY)}, r.fine / 10, 1 FROM metrics_resolutions r WHERE r.change_id = new.id{counted}
    ON CONFLICT (day, bucket) DO UPDATE SET n = n + 1;
INSERT INTO metrics_resolution_fine (fine, day, n)
    SELECT r.fine, {unit("r.at", DAY)}, 1 FROM metrics_resolutions r WHERE r.change_id = new.id{counted}
    ON CONFLICT (fine, day) DO UPDATE SET n = n + 1;
{listed}INSERT OR IGNORE INTO metrics_stale (what, at) SELECT 'status changes', {_NOW}
    WHERE EXISTS (SELECT 1 FROM audit b INDEXED BY audit_post WHERE b.post_id = new.post_id
    AND b.action = 'status' AND b.id != new.id AND (b.at > new.at OR (b.at = new.at AND b.id > new.id)));
END;"""


BACKFILL = backfill()
# The expressions of the index on first responses, which a query names word for word to be read
# through it (an index expression names bare columns); and the open posts' condition on bare columns.
RESPONSE_FINE = fine(waited("posts")).replace("posts.", "")
ANSWERED = f"is_ours = 0 AND {answered('posts')}".replace("posts.", "")
SLA_OPEN = f"is_ours = 0 AND {sla_open('posts')}".replace("posts.", "")

_NOW = "CAST(strftime('%s', 'now') AS REAL)"
_POST_COLUMNS = "network, created_at, is_ours, actionable, sentiment_label, status, due_at, first_response_at"
_INSERTED = _posts_upserts("new", "+")  # one trigger each, so a new post runs only the ones it counts in


def answered_trigger(tenths: bool = False) -> str:
    """The trigger that adds a new answered post's first response (`tenths`: as `_posts_upserts`)."""
    head = "CREATE TRIGGER metrics_posts_insert_answered AFTER INSERT ON posts WHEN new.is_ours = 0 AND "
    return f"""{head}{answered("new")}
BEGIN
{_posts_upserts("new", "+", tenths)[1]}END;"""


def changed_triggers(tenths: bool = False) -> str:
    """The triggers that follow a post changed or deleted through every rollup of posts (`tenths`: as
    `_posts_upserts`)."""

    def both(r: str, sign: str) -> str:
        return "".join(_posts_upserts(r, sign, tenths))

    return f"""CREATE TRIGGER metrics_posts_update AFTER UPDATE OF {_POST_COLUMNS} ON posts
WHEN old.network IS NOT new.network OR old.created_at IS NOT new.created_at OR old.is_ours IS NOT new.is_ours
    OR old.actionable IS NOT new.actionable OR old.sentiment_label IS NOT new.sentiment_label
    OR old.status IS NOT new.status OR old.due_at IS NOT new.due_at
    OR old.first_response_at IS NOT new.first_response_at
BEGIN
{both("old", "-")}{both("new", "+")}END;
CREATE TRIGGER metrics_posts_delete AFTER DELETE ON posts BEGIN
{both("old", "-")}INSERT OR IGNORE INTO metrics_stale (what, at) SELECT 'status changes', {_NOW}
    WHERE EXISTS (SELECT 1 FROM audit WHERE post_id = old.id AND action = 'status');
END;"""


_ANSWERED_TRIGGER = answered_trigger()
_CHANGED_TRIGGERS = changed_triggers()

MIGRATION = f"""
CREATE TABLE metrics_posts (
    quarter INTEGER NOT NULL,
    network TEXT NOT NULL,
    posts INTEGER NOT NULL DEFAULT 0,
    actionable INTEGER NOT NULL DEFAULT 0,
    positive INTEGER NOT NULL DEFAULT 0,
    neutral INTEGER NOT NULL DEFAULT 0,
    negative INTEGER NOT NULL DEFAULT 0,
    other_labels INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    sla_met INTEGER NOT NULL DEFAULT 0,
    sla_late INTEGER NOT NULL DEFAULT 0,
    sla_open INTEGER NOT NULL DEFAULT 0,
    max_target REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (quarter, network)
) WITHOUT ROWID;
CREATE TABLE metrics_response_hist (
    day INTEGER NOT NULL, network TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, network, bucket)
) WITHOUT ROWID;
CREATE TABLE metrics_response_days (
    day INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, bucket)
) WITHOUT ROWID;
CREATE TABLE metrics_response_fine (
    fine INTEGER NOT NULL, day INTEGER NOT NULL, network TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (fine, day, network)
) WITHOUT ROWID;
CREATE TABLE metrics_backlog (hour INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE metrics_replies (quarter INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE metrics_reopened (quarter INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE metrics_resolutions (
    change_id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL,
    at REAL NOT NULL,
    took REAL NOT NULL,
    fine INTEGER NOT NULL,
    prev_at REAL
);
CREATE INDEX metrics_resolutions_time ON metrics_resolutions (at, prev_at, fine, took);
CREATE INDEX metrics_resolutions_fine ON metrics_resolutions (fine, at, prev_at, took);
CREATE INDEX metrics_resolutions_again ON metrics_resolutions (prev_at, at, fine) WHERE prev_at IS NOT NULL;
CREATE TABLE metrics_resolution_hist (
    day INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, bucket)
) WITHOUT ROWID;
CREATE TABLE metrics_resolution_fine (
    fine INTEGER NOT NULL, day INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (fine, day)
) WITHOUT ROWID;
CREATE TABLE metrics_stale (what TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE INDEX posts_response_fine
    ON posts ({RESPONSE_FINE}, created_at, network, first_response_at, actionable, is_ours)
    WHERE {ANSWERED};

{BACKFILL}
CREATE TRIGGER metrics_posts_insert AFTER INSERT ON posts WHEN new.is_ours = 0 BEGIN
{_INSERTED[0]}END;
{_ANSWERED_TRIGGER}
CREATE TRIGGER metrics_posts_insert_open AFTER INSERT ON posts WHEN {in_backlog("new")} BEGIN
{_INSERTED[2]}END;
{_CHANGED_TRIGGERS}
CREATE TRIGGER metrics_posts_moved AFTER UPDATE OF created_at ON posts
WHEN old.created_at IS NOT new.created_at BEGIN
INSERT OR IGNORE INTO metrics_stale (what, at) SELECT 'status changes', {_NOW}
    WHERE EXISTS (SELECT 1 FROM audit WHERE post_id = new.id AND action = 'status');
END;

CREATE TRIGGER metrics_replies_insert AFTER INSERT ON replies WHEN {reply_counted("new")} BEGIN
{_reply_upsert("new", "+")}END;
CREATE TRIGGER metrics_replies_update AFTER UPDATE OF state, part, updated_at ON replies
WHEN {reply_counted("old")} OR {reply_counted("new")} BEGIN
{_reply_upsert("old", "-")}{_reply_upsert("new", "+")}END;
CREATE TRIGGER metrics_replies_delete AFTER DELETE ON replies WHEN {reply_counted("old")} BEGIN
{_reply_upsert("old", "-")}END;

{status_trigger()}
CREATE TRIGGER metrics_status_changed AFTER UPDATE OF at, action, post_id, detail ON audit
WHEN old.action = 'status' OR new.action = 'status' BEGIN
INSERT OR IGNORE INTO metrics_stale (what, at) VALUES ('status changes', {_NOW});
END;
CREATE TRIGGER metrics_status_delete AFTER DELETE ON audit WHEN old.action = 'status' BEGIN
INSERT OR IGNORE INTO metrics_stale (what, at) VALUES ('status changes', {_NOW});
END;
"""
