"""A team desk's copy of the team's canned replies: each version the feed brought, the newest in use."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec


class CachedPlaybook(msgspec.Struct, frozen=True):
    """The team's set as last read: version, who published it, its `[[macro]]` tables and `[dm_template]`."""

    version: int
    pushed_by: str
    pushed_at: float
    source: str
    macros: list[Any]
    dm_template: Any


def put_playbooks(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Keep versions read from the feed (a version never changes: one read again is kept once)."""
    conn.executemany(
        "INSERT OR IGNORE INTO team_playbooks (version, macros, dm_template, source, pushed_by, pushed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                r["version"],
                json.dumps(r["macros"]),
                json.dumps(r["dm_template"]),
                r["source"],
                r["pushed_by"],
                r["pushed_at"],
            )
            for r in rows
        ],
    )


def latest_version(conn: sqlite3.Connection) -> int:
    """The newest version of the team's set this cache holds (0: none)."""
    row = conn.execute("SELECT max(version) FROM team_playbooks").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def latest_playbook(conn: sqlite3.Connection) -> CachedPlaybook | None:
    """The team's newest set this cache holds, or None when none has reached it."""
    row = conn.execute(
        "SELECT version, pushed_by, pushed_at, source, macros, dm_template FROM team_playbooks "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return CachedPlaybook(int(row[0]), str(row[1]), float(row[2]), str(row[3]), json.loads(row[4]),
                          json.loads(row[5]))  # fmt: skip
