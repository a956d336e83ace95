"""Local migration 35: the first responses per day, network and tenth of a bucket (its digit count and
first digit) replace those per day and bucket overall, so a report sums a tenth's days first and reads
the buckets of only the tenths that hold a median or p90 (seeks of the period's days), as the breakdown
by network's resolutions do.

A report by network summed every (day, network, bucket) row of its period, and sorting them grew with the
cache: a denser cache fills more of each day's buckets. Tenths are a tenth as many, nearly as many on any
cache. The triggers write a tenth where they wrote a bucket overall: as many writes as before.
"""

from __future__ import annotations

from socialdesk.store.metrics_rollup_schema import answered_trigger, changed_triggers

BACKFILL = """INSERT INTO metrics_response_tenths (day, network, tenth, n)
    SELECT day, network, bucket / 10, sum(n) FROM metrics_response_hist GROUP BY 1, 2, 3;
"""

MIGRATION = f"""
CREATE TABLE metrics_response_tenths (
    day INTEGER NOT NULL, network TEXT NOT NULL, tenth INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, network, tenth)
) WITHOUT ROWID;
{BACKFILL}
DROP TRIGGER metrics_posts_insert_answered;
DROP TRIGGER metrics_posts_update;
DROP TRIGGER metrics_posts_delete;
DROP TABLE metrics_response_days;
{answered_trigger(tenths=True)}
{changed_triggers(tenths=True)}
"""
