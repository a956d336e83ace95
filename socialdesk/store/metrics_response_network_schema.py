"""Local migration 36: the index of first responses by their fine bucket (migration 30) puts the post's
network before its time, so a network's exact values are a seek of the network's posts of the period
in the fine bucket, where they were a read of every network's (and the overall pick seeks each network).
"""

from __future__ import annotations

from socialdesk.store.metrics_rollup_schema import ANSWERED, RESPONSE_FINE

MIGRATION = f"""
DROP INDEX posts_response_fine;
CREATE INDEX posts_response_fine
    ON posts ({RESPONSE_FINE}, network, created_at, first_response_at, actionable, is_ours)
    WHERE {ANSWERED};
"""
