"""Local migration 38: `metrics_resolutions_again` (the repeated resolutions by their previous time, from
migration 30) goes: no report reads it since migration 33, and the pair rollups' backfill, which did,
reads the resolutions once instead (store/metrics_pair_schema.py)."""

from __future__ import annotations

MIGRATION = """
DROP INDEX metrics_resolutions_again;
"""
