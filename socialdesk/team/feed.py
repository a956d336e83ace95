"""Reading the change feed: rows of one replicated table after a change_seq, and waiting for a commit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from socialdesk.team.schema import CHANNEL, REPLICATED

if TYPE_CHECKING:
    import psycopg

DEFAULT_PAGE = 500


def pull(conn: psycopg.Connection, table: str, after: int, limit: int = DEFAULT_PAGE) -> list[dict[str, Any]]:
    """Rows of `table` changed after `after`, in change_seq (= commit) order; keyset, never OFFSET.

    The next call passes the last row's change_seq; fewer than `limit` rows means caught up.
    """
    from psycopg import sql
    from psycopg.rows import dict_row

    if table not in REPLICATED:
        raise ValueError(f"{table} is not in the change feed (known: {', '.join(REPLICATED)})")
    query = sql.SQL("SELECT * FROM {} WHERE change_seq > %s ORDER BY change_seq LIMIT %s").format(
        sql.Identifier(table)
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(query, (after, limit)).fetchall())


def listen(conn: psycopg.Connection) -> None:
    """Subscribe an autocommit connection to the feed's notifications (before the first pull)."""
    conn.execute(f"LISTEN {CHANNEL}")


def wait(conn: psycopg.Connection, timeout: float) -> set[str]:
    """Tables changed by commits since the last call, waiting up to `timeout` s for the first one.

    A hint, not a complete list: one commit's notifications may arrive over several calls, so a desk
    woken pulls every table it follows (and pulls anyway after a reconnect; empty: nothing came).
    """
    changed: set[str] = set()
    for note in conn.notifies(timeout=timeout, stop_after=1):
        changed.add(note.payload)
    # Whatever else is already queued, without waiting again.
    for note in conn.notifies(timeout=0):
        changed.add(note.payload)
    return changed
