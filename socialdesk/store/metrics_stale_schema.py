"""Local migration 39: the triggers that raise `metrics_stale` also list the quarter-hours whose status
changes' rollups they left wrong, in `metrics_stale_quarters`, so store/metrics_rebuild.py rebuilds those
alone and clears the flag.

Every rollup a status change feeds is keyed by the change's time (reopenings per quarter-hour, the
resolutions' rows and day histograms, the pair cells by the event's quarter-hour), so what a change out
of the log's order, a post with changes going or moving, or a status change edited or deleted makes
wrong lies in the quarter-hours of that post's changes (and of the change as it was): the later changes,
whose previous status or resolution is no longer the one the trigger saw, and every change of a post that
went or moved, whose resolutions' durations or existence changed.
"""

from __future__ import annotations

from socialdesk.store.metrics_arrival_schema import carried
from socialdesk.store.metrics_repeat_schema import counted
from socialdesk.store.metrics_rollup_schema import QUARTER, status_trigger, unit

_LIST = "INSERT OR IGNORE INTO metrics_stale_quarters (quarter) "


def _changes_of(post: str) -> str:
    """SQL: the quarter-hours of the status changes of post `post`."""
    return (
        f"SELECT {unit('b.at', QUARTER)} FROM audit b INDEXED BY audit_post "
        f"WHERE b.post_id = {post} AND b.action = 'status'"
    )


_WAS_STALE = "EXISTS (SELECT 1 FROM metrics_stale)"

# A cache already stale lists every quarter-hour a status change falls in or a status-fed rollup holds.
LEGACY = f"""INSERT OR IGNORE INTO metrics_stale_quarters (quarter)
    SELECT {unit("at", QUARTER)} FROM audit WHERE action = 'status' AND {_WAS_STALE}
    UNION SELECT {unit("at", QUARTER)} FROM metrics_resolutions WHERE {_WAS_STALE}
    UNION SELECT quarter FROM metrics_reopened WHERE {_WAS_STALE}
    UNION SELECT e FROM metrics_pairs_q WHERE what != -1 AND {_WAS_STALE};
"""

MIGRATION = f"""
CREATE TABLE metrics_stale_quarters (quarter INTEGER PRIMARY KEY);
{LEGACY}
DROP TRIGGER metrics_status_insert;
{status_trigger(f" AND {counted('r.')}", carried("p"), quarters=True)}
CREATE TRIGGER metrics_stale_post_delete AFTER DELETE ON posts BEGIN
{_LIST}{_changes_of("old.id")};
END;
CREATE TRIGGER metrics_stale_post_moved AFTER UPDATE OF created_at ON posts
WHEN old.created_at IS NOT new.created_at BEGIN
{_LIST}{_changes_of("new.id")};
END;
CREATE TRIGGER metrics_stale_status_changed AFTER UPDATE OF at, action, post_id, detail ON audit
WHEN old.action = 'status' OR new.action = 'status' BEGIN
{_LIST}SELECT {unit("old.at", QUARTER)} WHERE old.action = 'status'
    UNION {_changes_of("old.post_id")} UNION {_changes_of("new.post_id")};
END;
CREATE TRIGGER metrics_stale_status_delete AFTER DELETE ON audit WHEN old.action = 'status' BEGIN
{_LIST}SELECT {unit("old.at", QUARTER)} UNION {_changes_of("old.post_id")};
END;
"""
