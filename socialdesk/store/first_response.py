"""First responses from our own posts: a reply the brand wrote on the network itself answers too.

The outbox sets a post's first response when the desk's reply is sent. A reply posted outside the desk
(the network's own app, another tool) reaches the cache at sync as our own post replying to a
customer's; its time is the first response when it is the earliest. Either may arrive first.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Collection, Iterable, Mapping

from socialdesk.models import Post
from socialdesk.store.rows import json_array

# The earliest of our replies to a customer post, not before the post itself, by the parent index.
_EARLIEST_OF_OURS = (
    "SELECT min(o.created_at) FROM posts o INDEXED BY posts_parent WHERE o.network = posts.network "
    "AND o.in_reply_to = posts.native_id AND o.is_ours = 1 AND o.created_at >= posts.created_at"
)


def answered_in_batch(posts: Collection[Post]) -> dict[tuple[str, str, float], float]:
    """The first response a batch holds for each customer post in it, keyed by (network, native id,
    created_at): the earliest of our replies in the batch to it, not before it. Stored with the post
    when the batch inserts it, these need no UPDATE of the row it just wrote (see `mark_answered`)."""
    replies: dict[tuple[str, str], list[float]] = {}
    for p in posts:
        if p.is_ours and p.in_reply_to:
            replies.setdefault((p.network, p.in_reply_to), []).append(p.created_at)
    if not replies:
        return {}
    answered: dict[tuple[str, str, float], float] = {}
    for p in posts:
        times = None if p.is_ours else replies.get((p.network, p.native_id))
        if times:
            first = min((at for at in times if at >= p.created_at), default=None)
            if first is not None:
                answered[(p.network, p.native_id, p.created_at)] = first
    return answered


class GroupAnswers:
    """The first responses a group of pages holds, for a sync that stores the pages one after another in
    one transaction: a customer post takes the group's when it is inserted, so our reply to it in a
    later page needs no UPDATE of the row (`mark_answered`).

    The group's posts are taken as fetched: a post that storing a later page makes ours (`mark_ours`)
    or gives another id (`canonicalize`) is answered by that page's UPDATE, as if in another group.
    A post noted as inserted by a batch a savepoint then took back is either stored again with the
    same response or not stored at all: either way our replies to it change nothing.
    """

    __slots__ = ("found", "inserted")

    def __init__(self, posts: Collection[Post]) -> None:
        self.found = answered_in_batch(posts)
        # (network, native id) of each post inserted with a first response, and that response.
        self.inserted: dict[tuple[str, str], float] = {}


def mark_answered(
    conn: sqlite3.Connection,
    posts: Iterable[Post],
    new_ids: Iterable[int],
    inserted_answered: Collection[tuple[str, str]] = (),
    answered_before: Mapping[tuple[str, str], float] | None = None,
) -> None:
    """After a batch is stored: our replies in it answer their parents, and new customer posts take
    the time of a reply of ours already stored (the earliest response wins: a parent answered earlier,
    such as by the desk's own reply coming back, is not written again).

    Args:
        inserted_answered: (network, native id) of the posts the batch inserted with the first
            response it holds for them (`answered_in_batch`): our replies to those are not applied again.
        answered_before: (network, native id) of posts inserted earlier in the transaction, with
            the first response they were inserted with (`GroupAnswers.inserted`): our replies to
            those that came no earlier change nothing, and are not applied.
    """
    before = answered_before or {}
    answers = [
        (p.created_at, p.network, p.in_reply_to)
        for p in posts
        if p.is_ours
        and p.in_reply_to
        and (p.network, p.in_reply_to) not in inserted_answered
        and before.get((p.network, p.in_reply_to), math.inf) > p.created_at
    ]
    conn.executemany(
        "UPDATE posts SET first_response_at = ?1 WHERE network = ?2 AND native_id = ?3 AND is_ours = 0 "
        "AND created_at <= ?1 AND (first_response_at IS NULL OR first_response_at > ?1)",
        answers,
    )
    ids = list(new_ids)
    if ids:
        conn.execute(
            f"UPDATE posts SET first_response_at = ({_EARLIEST_OF_OURS}) "
            "WHERE id IN (SELECT value FROM json_each(?)) AND is_ours = 0 AND first_response_at IS NULL "
            f"AND ({_EARLIEST_OF_OURS}) IS NOT NULL",
            (json_array(ids),),
        )
