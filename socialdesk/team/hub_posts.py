"""The hub's writes of synced posts: conversations and posts upserted on the network's ids, with the cursor.

Each page is one transaction that starts with the lease's fence (team/hub_leases.py): a page from a
hub that no longer leads the account is refused whole. A post is stored once whatever happens
(ON CONFLICT on network + native id); a re-synced post refreshes what the network may change, and
only when it changed (so an unchanged post does not come round the change feed again); its triage,
which desks may have corrected, stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from socialdesk.team.hub_leases import Lease, fence
from socialdesk.team.notices import raise_notices
from socialdesk.team.post_aliases import Aliases
from socialdesk.team.schema import STATUSES

if TYPE_CHECKING:
    import psycopg

HUB_AGENT = "hub"  # who the audit log and `updated_by` name for the hub's own changes
_COLUMNS = (
    "network, native_id, account, author_native_id, author_handle, author_name, text, created_at, url, "
    "in_reply_to, thread_id, kind, lang, is_ours, content_warning, raw, fetched_at, edited_at, deleted_at, "
    "priority, sentiment, sentiment_label, intent, actionable, tags"
)
_CHANGED = ("text", "author_handle", "author_name", "url", "raw", "content_warning")
_UPSERT_POST = f"""
INSERT INTO posts (conversation_id, {_COLUMNS})
VALUES (%(conversation_id)s, {", ".join(f"%({c.strip()})s" for c in _COLUMNS.split(","))})
ON CONFLICT (network, native_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _CHANGED)}, fetched_at = EXCLUDED.fetched_at,
    edited_at = greatest(posts.edited_at, EXCLUDED.edited_at)
WHERE ({", ".join(f"posts.{c}" for c in _CHANGED)}, posts.edited_at)
    IS DISTINCT FROM
    ({", ".join(f"EXCLUDED.{c}" for c in _CHANGED)}, greatest(posts.edited_at, EXCLUDED.edited_at))
RETURNING id, (xmax = 0) AS inserted
"""
_NEW_CONVERSATION = """
INSERT INTO conversations (network, key, account, status, priority, assigned_to, tags, due_at, last_post_at,
    first_response_at, updated_by)
VALUES (%(network)s, %(key)s, %(account)s, %(status)s, %(priority)s, %(assigned_to)s, %(tags)s, %(due_at)s,
    %(created_at)s, %(first_response_at)s, %(by)s)
ON CONFLICT (network, key) DO NOTHING
RETURNING id
"""
# A customer's new post in a conversation we know: it comes back to the queue if it had left it
# (a closed one too: closed by the hub's automations, the customer's next post is a case again).
_CUSTOMER_WROTE = """
UPDATE conversations SET
    last_post_at = greatest(last_post_at, %(created_at)s), priority = greatest(priority, %(priority)s),
    due_at = CASE WHEN status IN ('resolved', 'snoozed', 'closed') THEN %(due_at)s
                  WHEN first_response_at IS NULL THEN least(due_at, %(due_at)s) ELSE due_at END,
    first_response_at = CASE WHEN status IN ('resolved', 'snoozed', 'closed') THEN NULL
                             ELSE first_response_at END,
    status = CASE WHEN status IN ('resolved', 'snoozed', 'closed') THEN 'open' ELSE status END,
    updated_at = team_now(), updated_by = %(by)s
WHERE id = %(id)s
"""
_WE_WROTE = """
UPDATE conversations SET last_post_at = greatest(last_post_at, %(created_at)s),
    first_response_at = coalesce(first_response_at, %(created_at)s),
    updated_at = team_now(), updated_by = %(by)s
WHERE id = %(id)s
"""


class Published(msgspec.Struct):
    """What one page did to the shared database."""

    inserted: int = 0
    updated: int = 0


def _clean(value: Any) -> Any:
    """PostgreSQL's text holds no NUL character (SQLite's does): each becomes U+FFFD."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _conversation(conn: psycopg.Connection, post: Mapping[str, Any]) -> tuple[int, bool]:
    """The conversation of a post, created from its triage when new; (id, created)."""
    values = {
        "network": post["network"],
        "key": post["thread_id"] or post["native_id"],
        "account": post["account"],
        "status": post["status"] if post["status"] in STATUSES else "new",
        "priority": post["priority"],
        "assigned_to": post["assigned_to"],
        "tags": post["tags"],
        "due_at": None if post["is_ours"] else post["due_at"],
        "created_at": post["created_at"],
        "first_response_at": post["created_at"] if post["is_ours"] else None,
        "by": HUB_AGENT,
    }
    row = conn.execute(_NEW_CONVERSATION, values).fetchone()
    if row is not None:
        return int(row[0]), True
    found = conn.execute(
        "SELECT id FROM conversations WHERE network = %(network)s AND key = %(key)s", values
    ).fetchone()
    assert found is not None
    return int(found[0]), False


def publish_page(
    conn: psycopg.Connection,
    lease: Lease,
    posts: Sequence[Mapping[str, Any]],
    deleted: Sequence[tuple[str, str]],
    cursor: str | None,
    deleted_at: float,
) -> Published:
    """Store one synced page and the account's cursor in one fenced transaction.

    Args:
        posts: the page's posts as the hub's cache stored them (store.hub_pages), oldest first;
            `conversation_id` there is the network's thread id; `uri` (optional) the status's
            ActivityPub uri and `aliases` (optional) the (native id, account) pairs the cache
            folded into the post, for the team's aliases (team/post_aliases.py); `notices`
            (optional) the (audience, origin) the playbook's rules raised on it (team/notices.py).
        deleted: (network, native id) of posts the network no longer has.
        cursor: the account's sync cursor after this page.

    Raises:
        Fenced: the hub no longer leads the account; nothing was written.
    """
    done = Published()
    with conn.transaction():
        fence(conn, lease)
        aliases = Aliases(conn)
        for stored in posts:
            post = {k: _clean(v) for k, v in stored.items()}
            post["thread_id"] = post.pop("conversation_id", None)
            network, uri, known = post["network"], post.pop("uri", ""), post.pop("aliases", ())
            notices: list[tuple[str, str]] = post.pop("notices", [])
            if aliases.settle(network, post["native_id"], post["account"], uri, known) != post["native_id"]:
                continue  # another of our accounts' id for a status the team stores: not a second post
            for field in ("in_reply_to", "thread_id"):
                if post[field]:
                    post[field] = aliases.canonical(network, post[field])
            post["priority"] = min(3, max(0, int(post["priority"])))
            post["is_ours"], post["actionable"] = bool(post["is_ours"]), bool(post["actionable"])
            conversation, created = _conversation(conn, post)
            row = conn.execute(_UPSERT_POST, {**post, "conversation_id": conversation}).fetchone()
            if row is None:
                continue  # stored before, unchanged
            if not row[1]:
                done.updated += 1
                continue
            done.inserted += 1
            for audience, origin in notices:  # raised when the post is first stored, as in the cache
                raise_notices(conn, f"post:{row[0]}:{origin}", int(row[0]), [audience], origin)
            if not created:
                wrote = _WE_WROTE if post["is_ours"] else _CUSTOMER_WROTE if post["actionable"] else None
                if wrote is not None:
                    conn.execute(wrote, {**post, "id": conversation, "by": HUB_AGENT})
        for network, native_id in deleted:
            conn.execute(
                "UPDATE posts SET deleted_at = %s, actionable = false "
                "WHERE network = %s AND native_id = %s AND deleted_at IS NULL",
                (deleted_at, network, aliases.canonical(network, native_id)),
            )
        conn.execute(
            "INSERT INTO cursors (source, stream, cursor, updated_at) VALUES (%s, '', %s, team_now()) "
            "ON CONFLICT (source, stream) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = team_now()",
            (lease.account, cursor),
        )
    return done


def cursor_of(conn: psycopg.Connection, account: str) -> str | None:
    """The account's sync cursor as the last leading hub stored it (None: never synced)."""
    row = conn.execute("SELECT cursor FROM cursors WHERE source = %s AND stream = ''", (account,)).fetchone()
    return None if row is None else row[0]
