"""The outbox's ledger on the desk's cache: what delivery reads and records, in the replies table."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from socialdesk.models import Post, PostRow, ReplyState
from socialdesk.store import replies, reply_moves
from socialdesk.store.db import Store
from socialdesk.store.queries import get_post, raw_payload
from socialdesk.store.replies import ReplyRow

if TYPE_CHECKING:  # the store never imports the connectors: delivery hands it their result
    from socialdesk.connectors.base import SendResult


class CacheLedger:
    """Delivery's `Ledger` on one desk's cache (services/delivery.py names what a ledger does)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def next_due(self) -> float | None:
        """When a reply is next due (None: nothing pending)."""
        return replies.next_due(self.store.conn)

    def recover(self, now: float) -> int:
        """Replies left `sending` by a crash become unknown, to be checked now; returns how many."""
        with self.store.transaction() as conn:
            count = reply_moves.interrupted(conn, now, "interrupted while sending")
            if count:
                self.store.audit("outbox", "reply.recovered", None, count=count)
        return count

    def to_deliver(self) -> list[ReplyRow]:
        """The replies still to go out and those held by auth, oldest first."""
        return replies.to_deliver(self.store.conn)

    def get(self, reply_id: int) -> ReplyRow | None:
        """One reply by id."""
        return replies.get(self.store.conn, reply_id)

    def previous_part(self, row: ReplyRow) -> ReplyRow | None:
        """The part of the thread before this one."""
        return replies.previous_part(self.store.conn, row)

    def answered(self, row: ReplyRow) -> tuple[PostRow | None, dict[str, Any]]:
        """The post the reply answers and its raw payload (None and {} when it has none)."""
        post = get_post(self.store.conn, row.post_id) if row.post_id is not None else None
        if post is None:
            return None, {}
        return post, json.loads(raw_payload(self.store.conn, post.id))

    def claim(self, row: ReplyRow, now: float) -> bool:
        """Mark the reply `sending`, committed, if it is still as read; False: someone else has it."""
        with self.store.transaction() as conn:
            return reply_moves.claim(conn, row, now)

    def settle(self, row: ReplyRow, state: ReplyState, now: float, error: str, next_at: float | None) -> bool:
        """Record how an attempt ended short of sent, audited; False when the reply had moved on."""
        with self.store.transaction() as conn:
            if not reply_moves.settle(conn, row.id, state, now, error, next_at):
                return False
            self.store.audit("outbox", f"reply.{state}", row.post_id, reply=row.id, error=error)
        return True

    def mark_sent(self, row: ReplyRow, result: SendResult, own: Post | None, now: float) -> None:
        """Record the network's copy of the reply, and our post in its conversation."""
        with self.store.transaction() as conn:
            if reply_moves.mark_sent(conn, row, result.native_id, result.url, result.refs, now) and own:
                self.store.upsert_posts([own])
            self.store.audit("outbox", "reply.sent", row.post_id, reply=row.id, remote_id=result.native_id)

    def audit(self, action: str, post_id: int | None, **detail: object) -> None:
        """Append one of delivery's decisions to the audit log."""
        self.store.audit("outbox", action, post_id, **detail)
