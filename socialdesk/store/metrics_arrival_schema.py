"""Local migration 34: each resolution carries its post's network (none for our own posts) and quarter-hour
of arrival, kept by the trigger that writes it and by one that follows a post that moves, changes network
or becomes ours, so the breakdown by network picks a fine bucket's durations through an index without
reading each resolution's post.

The pick read every resolution of the fine bucket in the period, of every network, and looked up each one's
post (ten times as many, scattered through a table ten times as large, on a cache ten times as dense);
through `metrics_resolutions_network` it reads the network's alone and nothing else.
"""

from __future__ import annotations

from socialdesk.store.metrics_repeat_schema import counted
from socialdesk.store.metrics_rollup_schema import QUARTER, status_trigger, unit


def carried(x: str) -> str:
    """SQL: what a resolution of post `x` carries, its (post_network, post_quarter): the post's network
    (none when the post is ours) and quarter-hour of arrival."""
    return f"CASE WHEN {x}.is_ours = 0 THEN {x}.network END, {unit(f'{x}.created_at', QUARTER)}"


BACKFILL = f"""UPDATE metrics_resolutions SET (post_network, post_quarter) = (
    SELECT {carried("x")} FROM posts x WHERE x.id = metrics_resolutions.post_id);
"""

MIGRATION = f"""
ALTER TABLE metrics_resolutions ADD COLUMN post_network TEXT;
ALTER TABLE metrics_resolutions ADD COLUMN post_quarter INTEGER;
{BACKFILL}
CREATE INDEX metrics_resolutions_network
    ON metrics_resolutions (post_network, fine, at, prev_at, post_quarter, took) WHERE post_network NOTNULL;
DROP TRIGGER metrics_status_insert;
{status_trigger(f" AND {counted('r.')}", carried("p"))}
CREATE TRIGGER metrics_resolutions_post_moved AFTER UPDATE OF created_at, network, is_ours ON posts
WHEN old.created_at IS NOT new.created_at OR old.network IS NOT new.network OR old.is_ours IS NOT new.is_ours
BEGIN
UPDATE metrics_resolutions SET (post_network, post_quarter) = ({carried("new")}) WHERE change_id IN (
    SELECT b.id FROM audit b INDEXED BY audit_post WHERE b.post_id = new.id AND b.action = 'status');
END;
"""
