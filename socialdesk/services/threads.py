"""Refreshing a thread from its network when an agent opens it: edits, follow-ups and deletions.

Syncs bring what mentions the brand; the rest of a conversation (a customer's follow-up without the
@-mention, the brand's own posts made from elsewhere, edits, deletions) is only seen by asking the
network for the thread. The desk does that in a worker when a thread is opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from socialdesk.connectors.admit import admit_all
from socialdesk.connectors.base import Connector
from socialdesk.models import Post, PostRow
from socialdesk.store import Store, Triage
from socialdesk.store.ingest import store_posts

if TYPE_CHECKING:
    from socialdesk.services.sync import TriageFn

# A post of the thread that is neither ours nor the customer's follow-up (an ancestor, a bystander's
# reply) is kept for reading, not put in the reply queues.
CONTEXT_ONLY = Triage(status="resolved", actionable=False)


class ThreadRefresh(msgspec.Struct):
    """What refreshing one thread changed in the cache."""

    post_id: int
    inserted: list[int] = msgspec.field(default_factory=list)
    updated: int = 0
    deleted: list[int] = msgspec.field(default_factory=list)


def _triage(post: Post, focus: PostRow) -> Triage:
    """New posts by the customer after the opened post need a reply; the rest is context."""
    by_customer = not post.is_ours and post.author.native_id == focus.author_native_id
    if by_customer and post.created_at > focus.created_at:
        return Triage()
    return CONTEXT_ONLY


def _triages(posts: Sequence[Post], focus: PostRow, triage: TriageFn | None, store: Store) -> list[Triage]:
    """Context for the thread; the customer's follow-ups triaged as a sync would triage them."""
    triages = [_triage(p, focus) for p in posts]
    follow_ups = [i for i, t in enumerate(triages) if t is not CONTEXT_ONLY]
    if triage is not None and follow_ups:
        for i, classified in zip(follow_ups, triage([posts[i] for i in follow_ups], store), strict=True):
            triages[i] = classified
    return triages


def refresh_thread(
    store: Store, connector: Connector, focus: PostRow, triage: TriageFn | None = None
) -> ThreadRefresh:
    """Ask the network for the thread around `focus` and store what it says.

    Posts come back as they are now (edited ones with `edited_at`), new ones are added to the
    conversation, and those the network reports gone are marked deleted (they leave the queues).

    Args:
        triage: the workspace's triage (as sync applies it) for the customer's follow-ups.

    Raises:
        ConnectorError: the network could not be asked (the caller reports it; nothing is lost).
    """
    result = connector.refresh_thread(focus.native_id)
    # The same boundary as every sync (connectors.admit): what the cache cannot hold is quarantined.
    posts: Sequence[Post]
    posts, refused = admit_all(p for p in result.posts if p.network == focus.network)
    source = connector.account or connector.name
    report = ThreadRefresh(focus.id)
    with store.transaction():
        for item in refused:
            store.quarantine(source, item.error, item.raw)
        upserted = store_posts(store, source, posts, _triages(posts, focus, triage, store))
        report.deleted = store.mark_deleted(focus.network, result.deleted)
    report.inserted, report.updated = upserted.inserted, upserted.updated
    return report
