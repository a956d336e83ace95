"""Reads a synced page back from the cache, as stored and triaged, for a team hub to publish."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

# What a team hub publishes of each post: the network's data and the triage the cache gave it.
PUBLISHED = (
    "network, native_id, account, author_native_id, author_handle, author_name, text, created_at, url, "
    "in_reply_to, conversation_id, kind, lang, is_ours, content_warning, raw, fetched_at, edited_at, "
    "deleted_at, status, priority, sentiment, sentiment_label, intent, actionable, assigned_to, due_at"
)


def stored_posts(conn: sqlite3.Connection, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """The stored posts among (network, native id) keys, oldest first, each with its tags.

    A key the cache does not hold (a post it quarantined) is left out.
    """
    by_network: dict[str, list[str]] = {}
    for network, native_id in dict.fromkeys(keys):
        by_network.setdefault(network, []).append(native_id)
    found: list[dict[str, Any]] = []
    previous = conn.row_factory
    conn.row_factory = sqlite3.Row
    try:
        for network, native_ids in by_network.items():
            for start in range(0, len(native_ids), 500):
                chunk = native_ids[start : start + 500]
                rows = conn.execute(
                    f"SELECT {PUBLISHED}, (SELECT json_group_array(tag) FROM post_tags t "
                    f"WHERE t.post_id = p.id) AS tags FROM posts p "
                    f"WHERE network = ? AND native_id IN ({','.join('?' * len(chunk))})",
                    [network, *chunk],
                )
                for row in rows:
                    post = dict(row)
                    post["tags"] = sorted(json.loads(post["tags"] or "[]"))
                    found.append(post)
    finally:
        conn.row_factory = previous
    found.sort(key=lambda p: (p["created_at"], p["native_id"]))
    return found


def raised_notices(
    conn: sqlite3.Connection, after_id: int, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The notices (audience, origin) the cache raised after notice `after_id` on the posts among
    (network, native id) keys (a rule's `notify`, when its post was stored), by post."""
    wanted = set(keys)
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    rows = conn.execute(
        "SELECT p.network, p.native_id, n.audience, n.origin "
        "FROM notifications n JOIN posts p ON p.id = n.post_id WHERE n.id > ? ORDER BY n.id",
        (after_id,),
    )
    for network, native_id, audience, origin in rows:
        if (network, native_id) in wanted:
            found.setdefault((network, native_id), []).append((str(audience), str(origin)))
    return found
