"""Reading the change feed: rows of one replicated table after a position, and waiting for a commit.

A position is (change_xid, change_seq): the writing transaction's id and the row's sequence number,
stamped as the row was written (team/schema.py, migration 8). Sequence numbers are taken mid-
transaction, so they are not in commit order; what makes the keyset safe is the watermark: a read
only returns rows whose transaction id is below the oldest transaction still open when its
snapshot was taken (`pg_snapshot_xmin`). Every transaction below that has ended, so no row can
appear below a position read later. The price: one long writing transaction anywhere on the server
holds every newer row back until it ends (`Page.held_back` tells a reader to look again soon).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from socialdesk.team.schema import CHANNEL, REPLICATED

if TYPE_CHECKING:
    import psycopg
    import psycopg.sql

DEFAULT_PAGE = 500
Position = tuple[int, int]
"""(change_xid, change_seq) of the last row read; (0, n) is a position from before migration 8."""
START: Position = (0, 0)
# The statement's own snapshot: its xmin is the oldest transaction still running when the rows
# were read (an InitPlan, computed once per statement).
_WATERMARK = "(SELECT pg_snapshot_xmin(pg_current_snapshot()))"


class Page(list[dict[str, Any]]):
    """The rows one read may take, in feed order; `held_back`: committed rows past them wait for an
    older transaction to end, so the reader must look again soon (no notification may follow)."""

    held_back: bool = False


def position(row: Mapping[str, Any]) -> Position:
    """The feed position of a row `pull` returned (the next read passes it as `after`)."""
    return int(row["change_xid"]), int(row["change_seq"])


def pull(conn: psycopg.Connection, table: str, after: Position, limit: int = DEFAULT_PAGE) -> Page:
    """Rows of `table` changed after `after` by transactions that have all ended; keyset, never OFFSET.

    One statement reads the next `limit` rows past `after` with the watermark of its own snapshot;
    ordered by transaction id, the readable rows are a prefix of them, and any committed row after
    that prefix is held back. The next call passes the last row's `position`; fewer than `limit`
    rows means caught up as far as the watermark allows.
    """
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return readable(cur.execute(statement(table), arguments(after, limit)).fetchall())


def statement(table: str) -> psycopg.sql.Composed:
    """The read `pull` runs on `table`, for a caller with its own (e.g. asynchronous) connection."""
    from psycopg import sql

    if table not in REPLICATED:
        raise ValueError(f"{table} is not in the change feed (known: {', '.join(REPLICATED)})")
    return sql.SQL(
        f"SELECT *, {_WATERMARK}::text AS feed_watermark FROM {{}} "
        "WHERE (change_xid, change_seq) > (%s::xid8, %s) ORDER BY change_xid, change_seq LIMIT %s"
    ).format(sql.Identifier(table))


def arguments(after: Position, limit: int = DEFAULT_PAGE) -> tuple[str, int, int]:
    """The parameters of `statement` for a read after `after`."""
    return str(after[0]), after[1], limit


def readable(rows: list[dict[str, Any]]) -> Page:
    """The rows of a `statement` read below its watermark, as a page (`held_back` if any was not)."""
    page = Page()
    for row in rows:
        if int(row["change_xid"]) >= int(row.pop("feed_watermark")):
            page.held_back = True
            break
        page.append(row)
    return page


def listen(conn: psycopg.Connection) -> None:
    """Subscribe an autocommit connection to the feed's notifications (before the first pull)."""
    conn.execute(f"LISTEN {CHANNEL}")


def wait(conn: psycopg.Connection, timeout: float) -> set[str]:
    """Tables changed by commits since the last call, waiting up to `timeout` s for the first one.

    A hint, not a complete list: one commit's notifications may arrive over several calls, so a desk
    woken pulls every table it follows (and pulls anyway after a reconnect; empty: nothing came). A
    notification can also come before its rows are readable (an older transaction is still open):
    the page says `held_back`, and the reader looks again shortly, as no notification may follow.
    """
    changed: set[str] = set()
    for note in conn.notifies(timeout=timeout, stop_after=1):
        changed.add(note.payload)
    # Whatever else is already queued, without waiting again.
    for note in conn.notifies(timeout=0):
        changed.add(note.payload)
    return changed
