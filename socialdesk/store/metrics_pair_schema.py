"""The metrics' pair rollups as a migration: sums per (event's unit, post's unit, network) of sent replies,
reopenings and resolutions (a resolution by its duration's fine bucket), per quarter-hour and per day,
kept by triggers on replies, the audit log, posts and `metrics_resolutions`, and their backfill.

A breakdown by network counts an event of the period only when its post arrived in the period too (its
post is in the network's scope), which no sum per unit of one time answers; a sum per pair of units does
for whole units (README, "Metrics"). A day here is 96 quarter-hours as SQLite's `CAST(t / 900 AS
INTEGER)` numbers them, so a day cell is exactly the sum of its quarter cells. `what` is the event:
`REPLY`, `REOPENED`, or a resolution's fine bucket (quarter cells) or its tenth (day cells: its digit count
and first digit); per day, `metrics_pairs_b` and `metrics_pairs_fine` hold the resolutions per bucket
and fine bucket of each network, read only for the buckets that hold a median or p90's rank. Only
customer posts (`is_ours = 0`) have cells, as only they fall in a network's scope by arrival.

A resolution has cells when it is its post's first (`prev_at` null) or its previous one came before the
post arrived (`metrics_pairs_early` lists those): with the post in a period, any other resolution follows
another one in the period, and a breakdown counts a post's first resolution in the period only.
"""

from __future__ import annotations

from socialdesk.store.metrics_rollup_schema import QUARTER, reply_counted, status_of, unit

REPLY = -1
REOPENED = -2
PER_DAY = 96  # quarter-hours in a day cell


def _previous_status(c: str) -> str:
    """The status the post had before change `c`: its previous status change in the log (time, then id)."""
    return (
        f"(SELECT {status_of('b.detail')} FROM audit b INDEXED BY audit_post WHERE b.post_id = {c}.post_id "
        f"AND b.action = 'status' AND (b.at < {c}.at OR (b.at = {c}.at AND b.id < {c}.id)) "
        "ORDER BY b.at DESC, b.id DESC LIMIT 1)"
    )


def _reopening(c: str) -> str:
    return f"({status_of(f'{c}.detail')} IN ('open', 'new') AND {_previous_status(c)} = 'resolved')"


def _upserts(source: str, event_at: str, post: str, what: str, sign: str, resolution: bool) -> str:
    """Add (`sign` "+") or take away ("-") one event per row of `source` (a FROM ... WHERE clause) in the
    cells of its quarter-hours and days: the event at `event_at`, its post `post` (an alias), `what`."""
    e, p = unit(event_at, QUARTER), unit(f"{post}.created_at", QUARTER)
    day_what = f"{what} / 100" if resolution else what
    statements = (
        f"INSERT INTO metrics_pairs_q (e, p, network, what, n) SELECT {e}, {p}, {post}.network, {what}, "
        f"{sign}1 {source} ON CONFLICT (e, p, network, what) DO UPDATE SET n = n + excluded.n;\n"
        f"INSERT INTO metrics_pairs_d (e, p, network, what, n) SELECT {e} / {PER_DAY}, {p} / {PER_DAY}, "
        f"{post}.network, {day_what}, {sign}1 {source} "
        "ON CONFLICT (e, p, network, what) DO UPDATE SET n = n + excluded.n;\n"
    )
    if resolution:
        for table, column, value in (
            ("metrics_pairs_b", "bucket", f"{what} / 10"),
            ("metrics_pairs_fine", "fine", what),
        ):
            statements += (
                f"INSERT INTO {table} (network, {column}, e, p, n) SELECT {post}.network, {value}, "
                f"{e} / {PER_DAY}, {p} / {PER_DAY}, {sign}1 {source} "
                f"ON CONFLICT (network, {column}, e, p) DO UPDATE SET n = n + excluded.n;\n"
            )
    return statements


def reopenings(source: str) -> str:
    """Add to the cells the reopenings among the changes `c` of `source` (a FROM ... WHERE clause also
    naming each change's post `x`): the stale rollups' rebuild (store/metrics_rebuild.py)."""
    found = f"{source} AND x.is_ours = 0 AND {_reopening('c')}"
    return _upserts(found, "c.at", "x", str(REOPENED), "+", False)


def _first(m: str, x: str) -> str:
    """Resolution `m` of post `x` has cells: its post's first, or its previous came before the post."""
    return f"({m}.prev_at IS NULL OR {m}.prev_at < {x}.created_at)"


def _reply(r: str, sign: str) -> str:
    source = f"FROM posts x WHERE x.id = {r}.post_id AND x.is_ours = 0 AND {reply_counted(r)}"
    return _upserts(source, f"{r}.updated_at", "x", str(REPLY), sign, False)


def _resolutions_of(x: str) -> str:
    """FROM ... WHERE: the resolutions of post `x` (m), through the audit log's index on posts."""
    return (
        "FROM audit b INDEXED BY audit_post CROSS JOIN metrics_resolutions m ON m.change_id = b.id "
        f"WHERE b.post_id = {x}.id AND b.action = 'status'"
    )


def _post_events(x: str, sign: str) -> str:
    """Add or take away every event of post `x` (old or new): when it moves, changes network or owner."""
    replies = (
        f"FROM replies r INDEXED BY replies_post WHERE r.post_id = {x}.id AND {x}.is_ours = 0 "
        f"AND {reply_counted('r')}"
    )
    resolutions = f"{_resolutions_of(x)} AND {x}.is_ours = 0 AND {_first('m', x)}"
    reopenings = (
        f"FROM audit c INDEXED BY audit_post WHERE c.post_id = {x}.id AND c.action = 'status' "
        f"AND {x}.is_ours = 0 AND {_reopening('c')}"
    )
    return (
        _upserts(replies, "r.updated_at", x, str(REPLY), sign, False)
        + _upserts(resolutions, "m.at", x, "m.fine", sign, True)
        + _upserts(reopenings, "c.at", x, str(REOPENED), sign, False)
    )


def _backfill() -> str:
    """The cells of the rows already in the cache: the quarter cells in one pass over each kind of event
    (a change's previous status through a window function, in the log's order), the days from them."""
    e_r, e_m, e_c = (unit(t, QUARTER) for t in ("r.updated_at", "m.at", "c.at"))
    p = unit("x.created_at", QUARTER)
    status = status_of("a.detail")
    changes = (
        f"SELECT a.at AS at, {status} AS status, a.post_id AS post_id, "
        f"lag({status}) OVER (PARTITION BY a.post_id ORDER BY a.at, a.id) AS prev "
        "FROM audit a WHERE a.action = 'status' AND a.post_id IS NOT NULL"
    )
    days = f"e / {PER_DAY}, p / {PER_DAY}"
    return f"""
INSERT INTO metrics_pairs_q (e, p, network, what, n)
    SELECT e, p, network, what, count(*) FROM (
        SELECT {e_r} AS e, {p} AS p, x.network AS network, {REPLY} AS what
        FROM replies r JOIN posts x ON x.id = r.post_id WHERE {reply_counted("r")} AND x.is_ours = 0
        UNION ALL SELECT {e_m}, {p}, x.network, m.fine
        FROM metrics_resolutions m JOIN posts x ON x.id = m.post_id WHERE x.is_ours = 0 AND {_first("m", "x")}
        UNION ALL SELECT {e_c}, {p}, x.network, {REOPENED}
        FROM ({changes}) c JOIN posts x ON x.id = c.post_id
        WHERE c.status IN ('open', 'new') AND c.prev = 'resolved' AND x.is_ours = 0
    ) GROUP BY e, p, network, what;
INSERT INTO metrics_pairs_d (e, p, network, what, n)
    SELECT {days}, network, CASE WHEN what >= 0 THEN what / 100 ELSE what END, sum(n)
    FROM metrics_pairs_q GROUP BY 1, 2, 3, 4;
INSERT INTO metrics_pairs_b (network, bucket, e, p, n)
    SELECT network, what / 10, {days}, sum(n) FROM metrics_pairs_q WHERE what >= 0 GROUP BY 1, 2, 3, 4;
INSERT INTO metrics_pairs_fine (network, fine, e, p, n)
    SELECT network, what, {days}, sum(n) FROM metrics_pairs_q WHERE what >= 0 GROUP BY 1, 2, 3, 4;
INSERT INTO metrics_pairs_early (change_id, prev_at)
    SELECT m.change_id, m.prev_at FROM metrics_resolutions m NOT INDEXED
    CROSS JOIN posts x ON x.id = m.post_id WHERE m.prev_at IS NOT NULL AND m.prev_at < x.created_at;
"""


BACKFILL = _backfill()
_RESOLUTION = f"FROM posts x WHERE x.id = new.post_id AND x.is_ours = 0 AND {_first('new', 'x')}"
_REOPENED = (
    f"FROM posts x WHERE x.id = new.post_id AND x.is_ours = 0 AND {_previous_status('new')} = 'resolved'"
)


def _early(x: str) -> str:
    """List again post `x`'s resolutions whose previous one came before it arrived."""
    return (
        f"DELETE FROM metrics_pairs_early WHERE change_id IN (SELECT m.change_id {_resolutions_of(x)});\n"
        f"INSERT INTO metrics_pairs_early (change_id, prev_at) SELECT m.change_id, m.prev_at "
        f"{_resolutions_of(x)} AND m.prev_at < {x}.created_at;\n"
    )


_PER_NETWORK = "network TEXT NOT NULL, {}, e INTEGER NOT NULL, p INTEGER NOT NULL, n INTEGER NOT NULL"

MIGRATION = f"""
CREATE TABLE metrics_pairs_q (
    e INTEGER NOT NULL, p INTEGER NOT NULL, network TEXT NOT NULL, what INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (e, p, network, what)
) WITHOUT ROWID;
CREATE INDEX metrics_pairs_q_post ON metrics_pairs_q (p, e, network, what, n);
CREATE TABLE metrics_pairs_d (
    e INTEGER NOT NULL, p INTEGER NOT NULL, network TEXT NOT NULL, what INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (e, p, network, what)
) WITHOUT ROWID;
CREATE TABLE metrics_pairs_b (
    {_PER_NETWORK.format("bucket INTEGER NOT NULL")}, PRIMARY KEY (network, bucket, e, p)
) WITHOUT ROWID;
CREATE TABLE metrics_pairs_fine (
    {_PER_NETWORK.format("fine INTEGER NOT NULL")}, PRIMARY KEY (network, fine, e, p)
) WITHOUT ROWID;
CREATE TABLE metrics_pairs_early (change_id INTEGER PRIMARY KEY, prev_at REAL NOT NULL);
CREATE INDEX metrics_pairs_early_time ON metrics_pairs_early (prev_at);
{BACKFILL}
CREATE TRIGGER metrics_pairs_reply_insert AFTER INSERT ON replies WHEN {reply_counted("new")} BEGIN
{_reply("new", "+")}END;
CREATE TRIGGER metrics_pairs_reply_update AFTER UPDATE OF state, part, updated_at, post_id ON replies
WHEN {reply_counted("old")} OR {reply_counted("new")} BEGIN
{_reply("old", "-")}{_reply("new", "+")}END;
CREATE TRIGGER metrics_pairs_reply_delete AFTER DELETE ON replies WHEN {reply_counted("old")} BEGIN
{_reply("old", "-")}END;
CREATE TRIGGER metrics_pairs_resolution AFTER INSERT ON metrics_resolutions BEGIN
{_upserts(_RESOLUTION, "new.at", "x", "new.fine", "+", True)}
INSERT INTO metrics_pairs_early (change_id, prev_at) SELECT new.change_id, new.prev_at
    FROM posts x WHERE x.id = new.post_id AND new.prev_at < x.created_at;
END;
CREATE TRIGGER metrics_pairs_reopened AFTER INSERT ON audit
WHEN new.action = 'status' AND {status_of("new.detail")} IN ('open', 'new') BEGIN
{_upserts(_REOPENED, "new.at", "x", str(REOPENED), "+", False)}END;
CREATE TRIGGER metrics_pairs_post_moved AFTER UPDATE OF created_at, network, is_ours ON posts
WHEN old.created_at IS NOT new.created_at OR old.network IS NOT new.network OR old.is_ours IS NOT new.is_ours
BEGIN
{_post_events("old", "-")}{_post_events("new", "+")}{_early("new")}END;
CREATE TRIGGER metrics_pairs_post_delete AFTER DELETE ON posts WHEN old.is_ours = 0 BEGIN
{_post_events("old", "-")}END;
"""
