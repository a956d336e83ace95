"""A team desk's copy of the team's notices: each one a notice of the cache, on the cached post."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from socialdesk.store.automation_queries import add_notifications


def put_notices(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]], posts: Mapping[int, int]) -> int:
    """Add the team's notices to the cache's (the desk shows them as its own); how many.

    `posts` maps the team's post ids to the cache's (a notice on a post the cache lacks keeps no
    post). Each row comes once: the feed's position is stored in the same transaction.
    """
    added = [
        (
            float(r["at"]),
            posts.get(int(r["post_id"])) if r["post_id"] is not None else None,
            r["audience"],
            r["origin"],
        )
        for r in rows
    ]
    add_notifications(conn, added)
    return len(added)
