"""Our outbox replies as a conversation's thread shows them, read for every thread opened.

Apart from the outbox's rows (`store.replies`), which the desk's first frame does not read.
"""

from __future__ import annotations

import sqlite3

from socialdesk.models import OurReply


def in_threads(conn: sqlite3.Connection, post_ids: list[int]) -> dict[int, list[OurReply]]:
    """Our outbox replies (text, state, time, whether a DM) to each of the given posts, as threads show them.

    A sent reply the network has since delivered as a post is left out: the thread shows that post
    (with its edits and deletion), and the agent's reply once. That post may come through another of
    our accounts, on another server, under that server's id: it answers the same post, and its `url`
    is the one the sending server gave (a status keeps its origin's page address everywhere).
    """
    if not post_ids:
        return {}
    marks = ",".join("?" * len(post_ids))
    found: dict[int, list[OurReply]] = {}
    for post_id, text, state, at, dm in conn.execute(
        f"SELECT r.post_id, r.text, r.state, r.updated_at, r.dm FROM replies r WHERE r.post_id IN ({marks}) "
        "AND r.state != 'discarded' AND NOT (r.remote_id IS NOT NULL AND ("
        "EXISTS (SELECT 1 FROM posts p WHERE p.network = r.network AND p.native_id = r.remote_id) "
        "OR (r.remote_url != '' AND EXISTS (SELECT 1 FROM posts q JOIN posts p INDEXED BY posts_parent "
        "ON p.network = q.network AND p.in_reply_to = q.native_id "
        "WHERE q.id = r.post_id AND p.is_ours = 1 AND p.url = r.remote_url)))) ORDER BY r.id",
        post_ids,
    ):
        found.setdefault(post_id, []).append(OurReply(text, state, at, bool(dm)))
    return found
