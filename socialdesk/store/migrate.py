"""Applies the cache's pending migrations in one transaction, refusing a cache from a newer socialdesk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from socialdesk.store import schema


class SchemaTooNew(RuntimeError):
    """The cache was written by a newer socialdesk."""


def statements(script: str) -> list[str]:
    """Split a migration into complete SQL statements (trigger bodies keep their inner semicolons)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            found.append(pending.strip())
            pending = ""
    if pending.strip():
        found.append(pending.strip())
    return found


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, all in one transaction; return the resulting version.

    The version is read inside `BEGIN IMMEDIATE`, so two processes (or threads) opening a fresh
    cache at once serialise: the second finds the work done. A failure rolls everything back and
    leaves the cache at the version it had.
    """
    target = schema.SCHEMA_VERSION
    previous_isolation = conn.isolation_level
    conn.isolation_level = None  # explicit transactions only
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == target:
            return target
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current > target:
                raise SchemaTooNew(
                    f"cache schema version {current} is newer than this socialdesk understands ({target})"
                )
            migrations = schema.migrations()  # built only now: a current cache never needs them
            for version in range(current, target):
                for statement in statements(migrations[version]):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.isolation_level = previous_isolation
    return target


def opens_unchanged(path: Path) -> bool:
    """Whether opening the cache file writes nothing to it: it is in WAL mode and at SCHEMA_VERSION.

    Neither reads the schema (`PRAGMA journal_mode` would): WAL mode is the file header's read and
    write versions (2, 2), which leaving or entering WAL writes to the file itself; the version is
    read on a read-only connection, which sees a migration still in the write-ahead log.
    """
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return False
    if header[:16] != b"SQLite format 3\x00" or header[18:20] != b"\x02\x02":
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return bool(conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION)
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
