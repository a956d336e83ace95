"""A team desk's copy of the shared database in the cache: feed positions, queue state, claims, presence.

The rows come from the change feed (services/team_replica.py). Times of leases and presence are on
the team server's clock: callers pass `now` on that clock. A conversation is matched to the cached
posts by (network, key) = (posts.network, posts.conversation_id), as the hub keys them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from socialdesk.presence import TeamMark


def position(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """The feed position (change_xid, change_seq) this cache has read the team's `table` up to.

    (0, 0): nothing yet; (0, n): read up to n before the team's migration 8, where rows written
    before it still are (team/feed.py).
    """
    row = conn.execute("SELECT last_xid, last_seq FROM team_feed WHERE tbl = ?", (table,)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def set_position(conn: sqlite3.Connection, table: str, at: tuple[int, int]) -> None:
    """Remember how far `table` was read (in the transaction that stored its rows); never backwards."""
    conn.execute(
        "INSERT INTO team_feed (tbl, last_xid, last_seq) VALUES (?, ?, ?) ON CONFLICT (tbl) DO UPDATE "
        "SET last_xid = excluded.last_xid, last_seq = excluded.last_seq "
        "WHERE (excluded.last_xid, excluded.last_seq) > (team_feed.last_xid, team_feed.last_seq)",
        (table, *at),
    )


def put_conversations(conn: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Store conversations' queue state and apply it to their cached inbound posts; their keys."""
    _apply_tags(conn, rows)
    conn.executemany(
        "INSERT INTO team_conversations (id, network, key, status, priority, assigned_to, due_at, "
        "snoozed_until, first_response_at, updated_at, updated_by) VALUES "
        "(:id, :network, :key, :status, :priority, :assigned_to, :due_at, :snoozed_until, "
        ":first_response_at, :updated_at, :updated_by) ON CONFLICT (id) DO UPDATE SET "
        "status = excluded.status, priority = excluded.priority, assigned_to = excluded.assigned_to, "
        "due_at = excluded.due_at, snoozed_until = excluded.snoozed_until, "
        "first_response_at = excluded.first_response_at, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
        rows,
    )
    conn.executemany(
        "UPDATE posts SET status = :status, assigned_to = :assigned_to, due_at = :due_at, "
        "snoozed_until = :snoozed_until, first_response_at = :first_response_at, "
        # the conversation's priority only raises its posts' (the hub's automations raise it)
        "priority = MAX(priority, :priority), status_at = :updated_at "
        "WHERE network = :network AND conversation_id = :key AND is_ours = 0",
        rows,
    )
    return [(str(r["network"]), str(r["key"])) for r in rows]


def _apply_tags(conn: sqlite3.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bring the team's tag changes to the conversations' cached inbound posts (before the upsert).

    Only what changed since the last read moves: a tag added joins every post, a tag removed leaves
    them, and tags the posts had of their own (triage, a change still in the journal) stay.
    """
    for row in rows:
        if "tags" not in row:
            continue
        new = sorted(set(row["tags"] or ()))
        found = conn.execute("SELECT tags FROM team_conversations WHERE id = ?", (row["id"],)).fetchone()
        old = json.loads(found[0]) if found else []
        if new == old:
            continue
        posts = "SELECT id FROM posts WHERE network = ? AND conversation_id = ? AND is_ours = 0"
        where = (row["network"], row["key"])
        for tag in set(old) - set(new):
            conn.execute(f"DELETE FROM post_tags WHERE tag = ? AND post_id IN ({posts})", (tag, *where))
        for tag in set(new) - set(old):
            conn.execute(
                f"INSERT OR IGNORE INTO post_tags (post_id, tag) SELECT id, ? FROM ({posts})", (tag, *where)
            )
        if found:
            conn.execute("UPDATE team_conversations SET tags = ? WHERE id = ?", (json.dumps(new), row["id"]))
        else:  # the upsert that follows keeps the column as stored here
            conn.execute(
                "INSERT INTO team_conversations (id, network, key, status, tags) VALUES (?, ?, ?, ?, ?)",
                (row["id"], row["network"], row["key"], row["status"], json.dumps(new)),
            )


def tag_seen(conn: sqlite3.Connection, conversation_id: int, tag: str, remove: bool) -> None:
    """Count a tag change the team took from this desk as read, as the team applied it (a set
    operation), so a colleague undoing it later is a change the next read brings."""
    row = conn.execute("SELECT tags FROM team_conversations WHERE id = ?", (conversation_id,)).fetchone()
    if row is None:
        return
    tags = set(json.loads(row[0]))
    tags = tags - {tag} if remove else tags | {tag}
    conn.execute(
        "UPDATE team_conversations SET tags = ? WHERE id = ?", (json.dumps(sorted(tags)), conversation_id)
    )


def conversation_tags(conn: sqlite3.Connection, network: str, key: str) -> tuple[str, ...]:
    """A conversation's team tags as last read (none when it is not known here)."""
    row = conn.execute(
        "SELECT tags FROM team_conversations WHERE network = ? AND key = ?", (network, key)
    ).fetchone()
    return tuple(json.loads(row[0])) if row else ()


def conversation_state(conn: sqlite3.Connection, network: str, key: str) -> dict[str, Any] | None:
    """A conversation's queue state as last read (status, assigned_to, due_at, ...), or None."""
    conn_row = conn.execute(
        "SELECT status, assigned_to, due_at, snoozed_until FROM team_conversations "
        "WHERE network = ? AND key = ?",
        (network, key),
    ).fetchone()
    if conn_row is None:
        return None
    return dict(zip(("status", "assigned_to", "due_at", "snoozed_until"), conn_row, strict=True))


def put_claims(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store claims (a released claim keeps its row with no agent)."""
    conn.executemany(
        "INSERT INTO team_claims (conversation_id, agent, claimed_at, lease_until) VALUES "
        "(:conversation_id, :agent, :claimed_at, :lease_until) ON CONFLICT (conversation_id) DO UPDATE "
        "SET agent = excluded.agent, claimed_at = excluded.claimed_at, lease_until = excluded.lease_until",
        rows,
    )


def put_presence(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store who is viewing or typing where, until when."""
    conn.executemany(
        "INSERT INTO team_presence (agent, conversation_id, activity, until) VALUES "
        "(:agent, :conversation_id, :activity, :until) ON CONFLICT (conversation_id, agent) DO UPDATE "
        "SET activity = excluded.activity, until = excluded.until",
        rows,
    )


def put_replies(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store the shared outbox's rows (who wrote what on which conversation, and its state)."""
    conn.executemany(
        "INSERT INTO team_replies (id, conversation_id, agent, text, state, created_at) VALUES "
        "(:id, :conversation_id, :agent, :text, :state, :created_at) ON CONFLICT (id) DO UPDATE "
        "SET state = excluded.state, text = excluded.text",
        rows,
    )


def put_agents(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store the team's members and roles."""
    conn.executemany(
        "INSERT INTO team_agents (name, role, active) VALUES (:name, :role, :active) "
        "ON CONFLICT (name) DO UPDATE SET role = excluded.role, active = excluded.active",
        rows,
    )


def put_notes(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Copy team notes onto the conversation's latest cached inbound post (once each); how many."""
    copied = 0
    for row in rows:
        if conn.execute("SELECT 1 FROM team_notes WHERE id = ?", (row["id"],)).fetchone():
            continue
        own = _own_note(conn, row.get("key"))
        if own is not None:  # this desk's own note, back from the team: shown already
            conn.execute("INSERT INTO team_notes (id, note_id) VALUES (?, ?)", (row["id"], own))
            continue
        post_id = latest_post(conn, int(row["conversation_id"]))
        if post_id is None:
            continue  # a note on a conversation with no post here has nothing to show it on
        cur = conn.execute(
            "INSERT INTO notes (post_id, agent, text, created_at) VALUES (?, ?, ?, ?)",
            (post_id, row["agent"], row["text"], row["created_at"]),
        )
        conn.execute("INSERT INTO team_notes (id, note_id) VALUES (?, ?)", (row["id"], cur.lastrowid))
        copied += 1
    return copied


def put_corrections(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """Apply the team's triage corrections (sentiment bit 1, intent bit 2) to the cached posts.

    Returns:
        (network, conversation key) of each post whose cached triage changed.
    """
    changed: set[tuple[str, str]] = set()
    for row in rows:
        bits = int(row.get("corrected") or 0)
        for bit, column in ((1, "sentiment_label"), (2, "intent")):
            if (
                bits & bit
                and conn.execute(
                    f"UPDATE posts SET {column} = ?, corrected = corrected | ? "
                    f"WHERE network = ? AND native_id = ? AND ({column} IS NOT ? OR corrected & ? = 0)",
                    (row[column], bit, row["network"], row["native_id"], row[column], bit),
                ).rowcount
            ):
                changed.add((str(row["network"]), str(row["thread_id"] or row["native_id"])))
    return changed


def own_note(conn: sqlite3.Connection, key: str, note_id: int) -> None:
    """Remember the key this desk gave one of its notes (before the note leaves for the team)."""
    conn.execute("INSERT INTO team_own_notes (key, note_id) VALUES (?, ?)", (key, note_id))


def _own_note(conn: sqlite3.Connection, key: object) -> int | None:
    if not isinstance(key, str):
        return None
    row = conn.execute("SELECT note_id FROM team_own_notes WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else None


def conversation_of(conn: sqlite3.Connection, post_id: int) -> tuple[int, str, str] | None:
    """The team conversation of a cached post: (id, network, key), or None (not in the team's data)."""
    row = conn.execute(
        "SELECT c.id, c.network, c.key FROM posts p JOIN team_conversations c "
        "ON c.network = p.network AND c.key = p.conversation_id WHERE p.id = ?",
        (post_id,),
    ).fetchone()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def latest_post(conn: sqlite3.Connection, conversation_id: int) -> int | None:
    """The newest cached inbound post of a team conversation (what the desk opens), or None."""
    row = conn.execute(
        "SELECT p.id FROM team_conversations c JOIN posts p ON p.network = c.network "
        "AND p.conversation_id = c.key AND p.is_ours = 0 "
        "WHERE c.id = ? ORDER BY p.created_at DESC, p.id DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    return int(row[0]) if row else None


def mark(conn: sqlite3.Connection, conversation_id: int, now: float, me: str) -> TeamMark:
    """Who holds a conversation and who else views or types on it, at `now` (server clock)."""
    row = conn.execute(
        "SELECT agent, lease_until FROM team_claims WHERE conversation_id = ? AND agent <> '' "
        "AND lease_until > ?",
        (conversation_id, now),
    ).fetchone()
    viewing: list[str] = []
    typing: list[str] = []
    for agent, activity in conn.execute(
        "SELECT agent, activity FROM team_presence WHERE conversation_id = ? AND until > ? AND agent <> ? "
        "ORDER BY agent",
        (conversation_id, now, me),
    ):
        (typing if activity == "typing" else viewing).append(str(agent))
    return TeamMark(
        conversation_id,
        holder=str(row[0]) if row else "",
        lease_until=float(row[1]) if row else 0.0,
        viewing=tuple(viewing),
        typing=tuple(typing),
    )


def marks(
    conn: sqlite3.Connection, keys: Iterable[tuple[str, str]], now: float, me: str
) -> dict[tuple[str, str], TeamMark]:
    """The marks of the conversations among `keys` that someone holds or views (others left out)."""
    found: dict[tuple[str, str], TeamMark] = {}
    for network, key in set(keys):
        row = conn.execute(
            "SELECT id FROM team_conversations WHERE network = ? AND key = ?", (network, key)
        ).fetchone()
        if row is None:
            continue
        shown = mark(conn, int(row[0]), now, me)
        if shown.holder or shown.viewing or shown.typing:
            found[(network, key)] = shown
    return found


def replies_since(
    conn: sqlite3.Connection, conversation_id: int, since: float, not_by: str
) -> list[tuple[str, str, str]]:
    """Replies others put in the shared outbox on a conversation after `since`: (agent, state, text)."""
    return [
        (str(a), str(s), str(t))
        for a, s, t in conn.execute(
            "SELECT agent, state, text FROM team_replies WHERE conversation_id = ? AND created_at > ? "
            "AND agent <> ? AND state <> 'discarded' ORDER BY created_at, id",
            (conversation_id, since, not_by),
        )
    ]


def members(conn: sqlite3.Connection) -> list[str]:
    """The team's active members as last read, by name."""
    return [str(r[0]) for r in conn.execute("SELECT name FROM team_agents WHERE active ORDER BY name")]


def role_of(conn: sqlite3.Connection, agent: str) -> str:
    """An active member's role as last read ("" when not a member)."""
    row = conn.execute("SELECT role FROM team_agents WHERE name = ? AND active", (agent,)).fetchone()
    return str(row[0]) if row else ""


# -- the offline journal ---------------------------------------------------------------------------


def journal_add(conn: sqlite3.Connection, at: float, agent: str, action: str, conversation_id: int) -> int:
    """Keep an action taken while the team database was unreachable; its id."""
    cur = conn.execute(
        "INSERT INTO team_journal (at, agent, action, conversation_id) VALUES (?, ?, ?, ?)",
        (at, agent, action, conversation_id),
    )
    return int(cur.lastrowid or 0)


def journal_keep(
    conn: sqlite3.Connection,
    at: float,
    agent: str,
    action: str,
    conversation_id: int,
    detail: Mapping[str, Any],
) -> int:
    """Keep an action with its payload (a note, a tag, an assignee) until the team has it; its id."""
    cur = conn.execute(
        "INSERT INTO team_journal (at, agent, action, conversation_id, detail) VALUES (?, ?, ?, ?, ?)",
        (at, agent, action, conversation_id, json.dumps(detail)),
    )
    return int(cur.lastrowid or 0)


def journal_entry(conn: sqlite3.Connection, entry: int) -> tuple[str, str, int, dict[str, Any], str] | None:
    """One journal entry: (agent, action, conversation_id, detail, state), or None."""
    row = conn.execute(
        "SELECT agent, action, conversation_id, detail, state FROM team_journal WHERE id = ?", (entry,)
    ).fetchone()
    if row is None:
        return None
    return str(row[0]), str(row[1]), int(row[2]), json.loads(row[3]), str(row[4])


def journal_waiting(conn: sqlite3.Connection) -> list[tuple[int, str, str, int]]:
    """Actions still to replay, oldest first: (id, agent, action, conversation_id)."""
    return [
        (int(i), str(a), str(x), int(c))
        for i, a, x, c in conn.execute(
            "SELECT id, agent, action, conversation_id FROM team_journal WHERE state = 'waiting' ORDER BY id"
        )
    ]


def journal_done(conn: sqlite3.Connection, entry: int, state: str, outcome: str = "") -> None:
    """Close a journal entry: `done`, or `conflict` with what the agent is shown."""
    conn.execute("UPDATE team_journal SET state = ?, outcome = ? WHERE id = ?", (state, outcome, entry))


def reapply(conn: sqlite3.Connection, conversation_id: int) -> None:
    """Put a conversation's posts back to the team's state as last read (after a refused offline action)."""
    conn.execute(
        "UPDATE posts SET status = c.status, assigned_to = c.assigned_to, due_at = c.due_at, "
        "snoozed_until = c.snoozed_until FROM team_conversations c WHERE c.id = ? "
        "AND posts.network = c.network AND posts.conversation_id = c.key AND posts.is_ours = 0",
        (conversation_id,),
    )


def changed_since(
    conn: sqlite3.Connection, conversation_id: int, since: float, not_by: str
) -> tuple[str, str]:
    """(status, who) when someone but `not_by` changed the conversation after `since`, else ("", "")."""
    row = conn.execute(
        "SELECT status, updated_by FROM team_conversations "
        "WHERE id = ? AND updated_at > ? AND updated_by <> ?",
        (conversation_id, since, not_by),
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else ("", "")
