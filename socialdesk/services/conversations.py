"""Conversations' tickets, given on first need (merging and splitting them: `services.ticket_changes`)."""

from __future__ import annotations

from socialdesk.models import Thread
from socialdesk.store import Store, queries, tickets


def ticket_of_thread(store: Store, thread: Thread) -> int:
    """The ticket the thread's focus post counts in (after merges), giving the thread's posts theirs
    the first time they are needed (opened, or answered with a reply that quotes the ticket)."""
    conn = store.conn
    given = tickets.complete(conn, thread.focus.id, [p.id for p in thread.posts])
    if given is None:  # a read when every post has one already; a write the first time
        with store.transaction() as tx:
            given = tickets.assign(
                tx, thread.focus.id, [p.id for p in thread.ancestors], [p.id for p in thread.replies]
            )
    return tickets.final(conn, given)


def ticket_label(store: Store, post_id: int) -> str:
    """The ticket a post's conversation counts in, as written ("T-1042"); "" for a post not cached."""
    thread = queries.thread(store.conn, post_id)
    return tickets.label(ticket_of_thread(store, thread)) if thread is not None else ""
