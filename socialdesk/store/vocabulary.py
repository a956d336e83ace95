"""The values the cache holds for the search fields whose values are open-ended (read by the search)."""

from __future__ import annotations

import sqlite3

import msgspec


class Vocabulary(msgspec.Struct, frozen=True):
    """The values the cache holds for the search fields whose values are open-ended.

    Given to `services.query.parse_query`, a `network:` or `assigned:` value outside it is an error,
    as an unknown field is, rather than a search that silently finds nothing.
    """

    networks: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()


def _skip_scan(conn: sqlite3.Connection, sql: str) -> set[str]:
    """Distinct values of an indexed column: one index seek past the last value found, each time."""
    found: set[str] = set()
    last = ""
    while (value := conn.execute(sql, (last,)).fetchone()[0]) is not None:
        found.add(value)
        last = value
    return found


def vocabulary(conn: sqlite3.Connection) -> Vocabulary:
    """The networks and assignees the cache holds, read from an index and the queue tally (cost grows
    with values, not posts)."""
    networks = _skip_scan(conn, "SELECT MIN(network) FROM posts WHERE network > ?")
    tally = conn.execute("SELECT DISTINCT assigned_to FROM queue_tally WHERE n > 0 AND assigned_to <> ''")
    assignees = {r[0] for r in tally}
    return Vocabulary(frozenset(networks), frozenset(assignees))
