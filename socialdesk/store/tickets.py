"""Ticket numbers: one per conversation, short and stable, that a customer can quote; merged and split.

Every post of a conversation maps to one ticket (`ticket_posts`). A merged ticket points at the one it
was merged into (always the final one: merges are flattened, so one hop finds it). Callers that change
several rows run these inside `Store.transaction()`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence

from socialdesk.models import PostRow
from socialdesk.store.queries import ROW_COLUMNS
from socialdesk.store.rows import read

PREFIX = "T-"
FIRST = 1000  # conversation tickets are numbered 1000 + the cache id of their first post
_QUOTED = re.compile(r"^(?:#|T-?)?(\d{1,12})$", re.IGNORECASE)


def label(ticket: int) -> str:
    """How a ticket is written for customers and agents: T-1042."""
    return f"{PREFIX}{ticket}"


def parse_label(text: str) -> int | None:
    """The ticket number in what an agent typed or a customer quoted ("T-1042", "t1042", "#1042", "1042")."""
    match = _QUOTED.match(text.strip())
    return int(match.group(1)) if match else None


def final(conn: sqlite3.Connection, ticket: int) -> int:
    """The ticket a ticket now counts as: itself, or the one it was merged into."""
    row = conn.execute("SELECT merged_into FROM tickets WHERE id = ?", (ticket,)).fetchone()
    return int(row[0]) if row and row[0] is not None else ticket


def exists(conn: sqlite3.Connection, ticket: int) -> bool:
    """Whether a ticket with this number was ever given."""
    return conn.execute("SELECT 1 FROM tickets WHERE id = ?", (ticket,)).fetchone() is not None


def ticket_of(conn: sqlite3.Connection, post_id: int) -> int | None:
    """The ticket a post was given (before merges), if any."""
    row = conn.execute("SELECT ticket_id FROM ticket_posts WHERE post_id = ?", (post_id,)).fetchone()
    return int(row[0]) if row else None


def complete(conn: sqlite3.Connection, focus: int, ids: Sequence[int]) -> int | None:
    """The focus post's ticket when every post of the thread has one already (the common case: a
    read, no write lock), else None."""
    marks = ",".join("?" * len(ids))
    known = dict(
        conn.execute(
            f"SELECT post_id, ticket_id FROM ticket_posts WHERE post_id IN ({marks})", ids
        ).fetchall()
    )
    return int(known[focus]) if len(known) == len(set(ids)) and focus in known else None


def _new(conn: sqlite3.Connection, prefer: int | None = None) -> int:
    """A new ticket: numbered `prefer` when that number is free, else the next unused one."""
    if prefer is not None:
        taken = conn.execute("SELECT 1 FROM tickets WHERE id = ?", (prefer,)).fetchone()
        if taken is None:
            conn.execute("INSERT INTO tickets (id, created_at) VALUES (?, ?)", (prefer, time.time()))
            return prefer
    cursor = conn.execute("INSERT INTO tickets (created_at) VALUES (?)", (time.time(),))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def assign(conn: sqlite3.Connection, focus: int, ancestors: Sequence[int], others: Sequence[int]) -> int:
    """Give a thread's posts their ticket and return the focus post's (as given, before merges).

    The focus keeps the ticket it has; else it takes its nearest ancestor's (a split moves a post and
    what follows it), else any ticket of the thread, else a new one numbered after the thread's first
    post (`FIRST` + its id; the next free number when a split took that one). Posts without one get
    the focus's.
    """
    ids = [*ancestors, focus, *others]
    marks = ",".join("?" * len(ids))
    known = dict(
        conn.execute(
            f"SELECT post_id, ticket_id FROM ticket_posts WHERE post_id IN ({marks})", ids
        ).fetchall()
    )
    ticket = known.get(focus)
    if ticket is None:
        ticket = next((known[a] for a in reversed(ancestors) if a in known), None)
    if ticket is None:
        ticket = min(known.values()) if known else None
    if ticket is None:
        # Numbered after the conversation's first post: the same number whichever post of it is
        # opened first, and whatever else was opened before (it never depends on the order of views).
        ticket = _new(conn, prefer=FIRST + ids[0])
    conn.executemany(
        "INSERT OR IGNORE INTO ticket_posts (post_id, ticket_id) VALUES (?, ?)",
        [(i, ticket) for i in ids if i not in known],
    )
    return int(ticket)


def merge(conn: sqlite3.Connection, ticket: int, into: int) -> int:
    """Merge `ticket` into `into` (both taken as they now count); return the ticket it now counts as.

    Tickets already merged into `ticket` follow it, so every merge stays one hop from its final ticket.
    """
    source, target = final(conn, ticket), final(conn, into)
    if source == target:
        return target
    conn.execute(
        "UPDATE tickets SET merged_into = ? WHERE id = ? OR merged_into = ?", (target, source, source)
    )
    return target


def unmerge(conn: sqlite3.Connection, ticket: int) -> None:
    """Undo a merge: the ticket counts as itself again (those merged into it before stay where they went)."""
    conn.execute("UPDATE tickets SET merged_into = NULL WHERE id = ?", (ticket,))


def split(conn: sqlite3.Connection, post_ids: Sequence[int]) -> int:
    """Move posts (a post and the replies that follow it) to a new ticket; return its number."""
    ticket = _new(conn)
    conn.executemany(
        "INSERT INTO ticket_posts (post_id, ticket_id) VALUES (?, ?) "
        "ON CONFLICT (post_id) DO UPDATE SET ticket_id = excluded.ticket_id",
        [(i, ticket) for i in post_ids],
    )
    return ticket


def move(conn: sqlite3.Connection, post_ids: Sequence[int], ticket: int) -> None:
    """Put posts back in a ticket (undoing a split)."""
    conn.executemany(
        "UPDATE ticket_posts SET ticket_id = ? WHERE post_id = ?", [(ticket, i) for i in post_ids]
    )


def merged_with(conn: sqlite3.Connection, ticket: int) -> list[int]:
    """The tickets merged into this one, oldest first."""
    return [
        int(r[0]) for r in conn.execute("SELECT id FROM tickets WHERE merged_into = ? ORDER BY id", (ticket,))
    ]


def search_clause(ticket: int) -> tuple[str, list[int]]:
    """The posts filter (alias `p`) for a quoted ticket: every post of the ticket it now counts as,
    including those of the tickets merged into that one (a customer may quote an older number)."""
    root = "COALESCE((SELECT merged_into FROM tickets WHERE id = ?), ?)"
    return (
        "p.id IN (SELECT tp.post_id FROM ticket_posts tp WHERE tp.ticket_id IN"
        f" (SELECT id FROM tickets WHERE id = {root} OR merged_into = {root}))",
        [ticket, ticket, ticket, ticket],
    )


# A final ticket's posts: those given its ticket or one merged into it, and the posts not given a ticket
# yet in their conversations, unless a split put part of that conversation in another ticket (then an
# untickted post's place is unknown until it is opened, and it keeps its own status).
_GROUP_POSTS = """
WITH grp(tid) AS (SELECT id FROM tickets WHERE id = :ticket OR merged_into = :ticket),
conv(network, cid) AS (
    SELECT DISTINCT p.network, p.conversation_id FROM ticket_posts tp JOIN posts p ON p.id = tp.post_id
    WHERE tp.ticket_id IN grp AND p.conversation_id != ''),
whole(network, cid) AS (
    SELECT network, cid FROM conv WHERE NOT EXISTS (
        SELECT 1 FROM posts c JOIN ticket_posts ctp ON ctp.post_id = c.id
        WHERE c.network = conv.network AND c.conversation_id = conv.cid AND ctp.ticket_id NOT IN grp))
SELECT tp.post_id FROM ticket_posts tp WHERE tp.ticket_id IN grp
UNION
SELECT c.id FROM whole JOIN posts c ON c.network = whole.network AND c.conversation_id = whole.cid
WHERE NOT EXISTS (SELECT 1 FROM ticket_posts x WHERE x.post_id = c.id)
"""


def post_ids(conn: sqlite3.Connection, ticket: int) -> list[int]:
    """Every post a final ticket counts (merged conversations included), in id order."""
    return sorted(int(r[0]) for r in conn.execute(_GROUP_POSTS, {"ticket": ticket}))


def counted_in(conn: sqlite3.Connection, post_id: int) -> int | None:
    """The final ticket a post counts in: its own, else its conversation's when that is one ticket."""
    given = ticket_of(conn, post_id)
    if given is not None:
        return final(conn, given)
    finals = {
        final(conn, int(r[0]))
        for r in conn.execute(
            "SELECT DISTINCT tp.ticket_id FROM posts p JOIN posts c INDEXED BY posts_conversation "
            "ON c.network = p.network AND c.conversation_id = p.conversation_id "
            "JOIN ticket_posts tp ON tp.post_id = c.id WHERE p.id = ?",
            (post_id,),
        )
    }
    return finals.pop() if len(finals) == 1 else None


def merged_conversations(
    conn: sqlite3.Connection, ticket: int, shown: PostRow, latest: int = 20
) -> list[tuple[int, list[PostRow]]]:
    """The other conversations a final ticket counts, as (their ticket, their latest posts, oldest first),
    the conversation started first coming first; `shown`: the thread's post on screen (its own
    conversation, side branches included, is not another one)."""
    own = (shown.network, shown.conversation_id or shown.native_id)
    others = sorted(set(post_ids(conn, ticket)) - {shown.id})
    rows: list[PostRow] = []
    for start in range(0, len(others), 400):
        chunk = others[start : start + 400]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {ROW_COLUMNS} FROM posts p WHERE p.id IN ({marks})"
        rows += read(PostRow, conn.execute(sql, chunk))
    by_conversation: dict[tuple[str, str], list[PostRow]] = {}
    for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
        if (row.network, row.conversation_id or row.native_id) == own:
            continue
        by_conversation.setdefault((row.network, row.conversation_id or row.native_id), []).append(row)
    found: list[tuple[int, list[PostRow]]] = []
    for posts in by_conversation.values():
        given = [t for t in (ticket_of(conn, p.id) for p in posts) if t is not None]
        found.append((min(given) if given else ticket, posts[-latest:]))
    return found
