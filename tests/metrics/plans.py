"""The query plans of the statements a piece of work runs on a cache: how a test shows a read is a seek."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def plans_of(conn: sqlite3.Connection, naming: str, work: Callable[[], object]) -> list[str]:
    """EXPLAIN QUERY PLAN (details joined) of each statement naming `naming` that `work` runs on `conn`."""
    ran: list[str] = []
    conn.set_trace_callback(lambda sql: ran.append(sql) if naming in sql else None)
    try:
        work()
    finally:
        conn.set_trace_callback(None)
    return [" ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in ran]
