"""Conversations' tickets merged and split, each audited and undoable."""

from __future__ import annotations

import msgspec

from socialdesk.errors import UserError
from socialdesk.store import Store, queries, tickets


class TicketChange(msgspec.Struct, frozen=True):
    """What a merge or split did, in words, and what undoing it takes."""

    message: str
    kind: str  # "merge" or "split"
    ticket: int  # merge: the ticket merged away; split: the new ticket
    into: int  # merge: the ticket it joined; split: the ticket the posts came from
    post_ids: tuple[int, ...] = ()  # split: the posts moved


def _ticket_of_post(store: Store, post_id: int) -> int:
    ticket = tickets.ticket_of(store.conn, post_id)
    if ticket is None:
        raise UserError("This conversation has no ticket yet: open its thread first")
    return ticket


def _customers(store: Store, ticket: int) -> set[int]:
    clause, params = tickets.search_clause(ticket)
    rows = store.conn.execute(
        f"SELECT DISTINCT p.customer_id FROM posts p WHERE {clause} AND p.is_ours = 0 "
        "AND p.customer_id IS NOT NULL",
        params,
    )
    return {int(r[0]) for r in rows}


def merge(store: Store, agent: str, post_id: int, into_text: str) -> TicketChange:
    """Merge the post's conversation into the ticket the agent named (one customer's conversations only).

    Raises:
        UserError: the number cannot be read, is unknown, is this conversation's, or another customer's.
    """
    into = tickets.parse_label(into_text)
    if into is None:
        raise UserError(f"Not a ticket number: {into_text.strip()[:40]!r} (T-1042 or 1042)")
    conn = store.conn
    if not tickets.exists(conn, into):
        raise UserError(f"No ticket {tickets.label(into)}")
    source = tickets.final(conn, _ticket_of_post(store, post_id))
    target = tickets.final(conn, into)
    if source == target:
        raise UserError(f"This conversation is already {tickets.label(target)}")
    ours, theirs = _customers(store, source), _customers(store, target)
    if ours and theirs and not ours & theirs:
        raise UserError(f"{tickets.label(target)} is another customer's: merge one customer's conversations")
    with store.transaction() as tx:
        tickets.merge(tx, source, target)
        store.audit(agent, "ticket.merge", post_id, ticket=tickets.label(source), into=tickets.label(target))
    return TicketChange(
        f"{tickets.label(source)} merged into {tickets.label(target)} (U undoes it)", "merge", source, target
    )


def split(store: Store, agent: str, post_id: int) -> TicketChange:
    """Move the post and the replies that answer it (directly or further down) to a new ticket.

    Raises:
        UserError: the post is unknown, has no ticket yet, or is the first of its conversation.
    """
    conn = store.conn
    thread = queries.thread(conn, post_id)
    if thread is None:
        raise UserError("That post is no longer in the cache")
    source = _ticket_of_post(store, post_id)
    if not thread.ancestors:
        raise UserError("This post starts its conversation: split from a later post of it")
    below = {thread.focus.native_id}
    moved = [post_id]
    for reply in thread.replies:  # oldest first: a reply's parent is seen before it
        if reply.in_reply_to in below and tickets.ticket_of(conn, reply.id) in (source, None):
            below.add(reply.native_id)
            moved.append(reply.id)
    with store.transaction() as tx:
        new = tickets.split(tx, moved)
        store.audit(
            agent,
            "ticket.split",
            post_id,
            ticket=tickets.label(new),
            source=tickets.label(source),
            posts=moved,
        )
    return TicketChange(
        f"Split into {tickets.label(new)}: {len(moved)} post(s) left {tickets.label(source)} (U undoes it)",
        "split",
        new,
        source,
        tuple(moved),
    )


def undo(store: Store, agent: str, change: TicketChange) -> str:
    """Undo a merge or split (audited as such); returns what happened, in words."""
    with store.transaction() as tx:
        if change.kind == "merge":
            tickets.unmerge(tx, change.ticket)
            store.audit(agent, "ticket.unmerge", None, ticket=tickets.label(change.ticket))
            return f"{tickets.label(change.ticket)} is its own ticket again"
        tickets.move(tx, change.post_ids, change.into)
        store.audit(
            agent,
            "ticket.unsplit",
            None,
            ticket=tickets.label(change.ticket),
            into=tickets.label(change.into),
        )
        return f"Split undone: the posts are back in {tickets.label(change.into)}"
