"""Fills a team desk's cache from the shared database: keyset pages of the change feed, table by table.

Each table is read from where the cache left it (`team_feed`) in feed order (team/feed.py), one
transaction per page, so an interrupted read resumes exactly there. Posts come in as the hub stored
them, with their conversation's queue state; a conversation's state is applied to its cached inbound posts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from socialdesk.models import Author, Post
from socialdesk.store import (
    team_accounts,
    team_cache,
    team_customers,
    team_notices,
    team_playbooks,
    team_replies,
)
from socialdesk.store.db import Triage
from socialdesk.store.ingest import store_posts
from socialdesk.team import feed

if TYPE_CHECKING:
    import psycopg

    from socialdesk.store import Store

# Read in this order: a post's conversation is known before the post, its posts before its notes.
TABLES = (
    "agents",
    "conversations",
    "posts",
    "claims",
    "presence",
    "replies",
    "notes",
    "playbooks",
    "accounts",
    "customer_fields",
    "notices",
)
PAGE = 500


class Pulled(msgspec.Struct):
    """What one read of the feed brought: rows per table, new post ids, conversations that changed."""

    rows: dict[str, int] = msgspec.field(default_factory=dict)
    new_post_ids: list[int] = msgspec.field(default_factory=list)
    conversations: set[tuple[str, str]] = msgspec.field(default_factory=set)
    """(network, key) of conversations whose queue state changed (status, assignee, due time, triage)."""
    threads: set[int] = msgspec.field(default_factory=set)
    """Team conversations whose thread gained a note or an outbox reply."""
    marks: set[int] = msgspec.field(default_factory=set)
    """Team conversations whose claim or presence changed (who holds, views, types)."""
    replies: list[team_replies.Moved] = msgspec.field(default_factory=list)
    """Replies of the shared outbox whose state changed (this desk's among them: sent, failed ...)."""
    playbook: tuple[int, str] | None = None
    """(version, who published it) of the team's canned replies when a newer set replaced the one held."""
    refused: dict[str, str] | None = None
    """Every account whose credentials the network refuses to the hub, and why (None: not read)."""
    newly_refused: list[tuple[str, str]] = msgspec.field(default_factory=list)
    """(account, why) of the accounts this read found newly refused."""
    customers: set[int] = msgspec.field(default_factory=set)
    """Cached customers whose fields a colleague changed (the customer pane shows them)."""
    notices: int = 0
    """The team's notices added to the cache (the desk shows those for its agent)."""
    behind: set[str] = msgspec.field(default_factory=set)
    """Tables read with committed rows still held back by an older open transaction: read again soon."""

    @property
    def any(self) -> bool:
        """Whether anything arrived."""
        return any(self.rows.values())


def _post(row: Mapping[str, Any]) -> Post:
    try:
        raw = json.loads(row["raw"]) if row["raw"] else {}
    except ValueError:
        raw = {}
    return Post(
        network=row["network"],
        native_id=row["native_id"],
        author=Author(row["author_native_id"], row["author_handle"], row["author_name"]),
        text=row["text"],
        created_at=float(row["created_at"]),
        account=row["account"],
        url=row["url"],
        in_reply_to=row["in_reply_to"],
        conversation_id=row["thread_id"],
        kind=row["kind"],
        lang=row["lang"],
        is_ours=bool(row["is_ours"]),
        content_warning=row["content_warning"],
        raw=raw if isinstance(raw, dict) else {},
        edited_at=row["edited_at"],
    )


def _triage(store: Store, row: Mapping[str, Any]) -> Triage:
    """A new post's queue state: its conversation's (status, assignee, due time), its own triage."""
    key = row["thread_id"] or row["native_id"]
    state = team_cache.conversation_state(store.conn, row["network"], key) or {}
    return Triage(
        status=state.get("status", "new"),
        priority=int(row["priority"]),
        sentiment=row["sentiment"],
        sentiment_label=row["sentiment_label"],
        intent=row["intent"],
        actionable=bool(row["actionable"]),
        due_at=state.get("due_at"),
        # its own triage tags and its conversation's team tags (which every post of it carries)
        tags=tuple(
            dict.fromkeys(
                (*(row["tags"] or ()), *team_cache.conversation_tags(store.conn, row["network"], key))
            )
        ),
        assigned_to=state.get("assigned_to", ""),
    )


def _cached_posts(pg: psycopg.Connection, store: Store, page: list[dict[str, Any]]) -> dict[int, int]:
    """The team's post id -> the cache's, for the posts a page of replies answers (or notices name)."""
    wanted = list({int(r["post_id"]) for r in page if r["post_id"] is not None})
    found: dict[int, int] = {}
    for team_id, network, native_id in pg.execute(
        "SELECT id, network, native_id FROM posts WHERE id = ANY(%s)", (wanted,)
    ):
        here = store.conn.execute(
            "SELECT id FROM posts WHERE network = ? AND native_id = ?", (network, native_id)
        ).fetchone()
        if here is not None:
            found[int(team_id)] = int(here[0])
    return found


def _store_page(
    store: Store,
    table: str,
    page: list[dict[str, Any]],
    pulled: Pulled,
    posts: dict[int, int],
    offset: float,
) -> None:
    # A page of posts is stored as the sync engine stores one (store.ingest.store_posts).
    with store.transaction(bounded_writes=table == "posts") as conn:
        if table == "agents":
            team_cache.put_agents(conn, page)
        elif table == "conversations":
            pulled.conversations.update(team_cache.put_conversations(conn, page))
        elif table == "posts":
            stored = store_posts(store, "team", [_post(r) for r in page], [_triage(store, r) for r in page])
            pulled.new_post_ids += stored.inserted
            pulled.conversations.update(team_cache.put_corrections(conn, page))
            deleted = [r for r in page if r["deleted_at"] is not None]
            for row in deleted:
                store.mark_deleted(row["network"], [row["native_id"]], float(row["deleted_at"]))
        elif table == "claims":
            team_cache.put_claims(conn, page)
            pulled.marks.update(int(r["conversation_id"]) for r in page)
        elif table == "presence":
            team_cache.put_presence(conn, page)
            pulled.marks.update(int(r["conversation_id"]) for r in page)
        elif table == "replies":
            team_cache.put_replies(conn, page)
            pulled.replies += team_replies.follow(conn, page, posts, offset)
            pulled.threads.update(int(r["conversation_id"]) for r in page if r["conversation_id"])
        elif table == "notes":
            team_cache.put_notes(conn, page)
            pulled.threads.update(int(r["conversation_id"]) for r in page)
        elif table == "playbooks":
            held = team_playbooks.latest_playbook(conn)
            team_playbooks.put_playbooks(conn, page)
            newest = max(page, key=lambda r: int(r["version"]))
            if held is not None and int(newest["version"]) > held.version:
                pulled.playbook = (int(newest["version"]), str(newest["pushed_by"]))
        elif table == "accounts":
            pulled.newly_refused += team_accounts.put_accounts(conn, page)
        elif table == "customer_fields":
            pulled.customers |= team_customers.put_customer_fields(conn, page)
        elif table == "notices":
            pulled.notices += team_notices.put_notices(conn, page, posts)
        team_cache.set_position(conn, table, feed.position(page[-1]))


def pull(
    pg: psycopg.Connection, store: Store, tables: tuple[str, ...] = TABLES, offset: float = 0.0
) -> Pulled:
    """Read every change since the cache's last read, table by table, in keyset pages; what came.

    Args:
        offset: the team server's clock minus the desk's (the outbox's times are kept on the desk's).
    """
    pulled = Pulled()
    for table in TABLES:
        if table not in tables:
            continue
        while True:
            page = feed.pull(pg, table, team_cache.position(store.conn, table), PAGE)
            if page.held_back:
                pulled.behind.add(table)
            if not page:
                break
            posts = _cached_posts(pg, store, page) if table in ("replies", "notices") else {}
            _store_page(store, table, page, pulled, posts, offset)
            pulled.rows[table] = pulled.rows.get(table, 0) + len(page)
            if len(page) < PAGE:
                break
    if "accounts" in tables:  # the whole set, so a desk shows what it holds from the first read on
        pulled.refused = team_accounts.refused(store.conn)
    return pulled
