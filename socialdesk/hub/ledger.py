"""Delivery's ledger on the team's shared outbox, for one account a hub leads: every move fenced."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from socialdesk.connectors.base import SendResult
from socialdesk.models import Post, PostRow, ReplyState
from socialdesk.services.delivery import RECONCILE_DELAY
from socialdesk.store.replies import ReplyRow
from socialdesk.store.reply_moves import DUE_AT, MOVES, PENDING, sources
from socialdesk.team import hub_outbox
from socialdesk.team.hub_leases import Lease

if TYPE_CHECKING:
    import psycopg

_COLUMNS = ", ".join(ReplyRow.__struct_fields__)
_TO_DELIVER = [*PENDING, ReplyState.NEEDS_AUTH]


class HubLedger:
    """services.delivery's `Ledger` on PostgreSQL's `replies`, for the account of `lease`.

    Args:
        conn: the hub's work connection (autocommit).
        lease: the lead this hub holds; a move after another hub took over raises `Fenced`.
        reconcile_delay: seconds before a send a dead leader left `sending` is looked for on the
            network (its request may still be reaching the server).
    """

    def __init__(
        self, conn: psycopg.Connection, lease: Lease, reconcile_delay: float = RECONCILE_DELAY
    ) -> None:
        self.conn = conn
        self.lease = lease
        self.reconcile_delay = reconcile_delay

    def next_due(self) -> float | None:
        """When a reply of the account is next due (None: nothing pending)."""
        return hub_outbox.next_due(self.conn, self.lease.account, {str(k): v for k, v in DUE_AT.items()})

    def recover(self, now: float) -> int:
        """Sends an earlier leader left `sending` become unknown, checked after the reconcile delay."""
        why = f"interrupted while sending (hub {self.lease.holder} took over at epoch {self.lease.epoch})"
        return hub_outbox.recover(self.conn, self.lease, now, now + self.reconcile_delay, why)

    def to_deliver(self) -> list[ReplyRow]:
        """The account's replies still to go out and those held by auth, oldest first."""
        states = [str(s) for s in _TO_DELIVER]
        return [_reply(r) for r in hub_outbox.of_account(self.conn, self.lease.account, states, _COLUMNS)]

    def get(self, reply_id: int) -> ReplyRow | None:
        """One reply by id."""
        found = hub_outbox.one(self.conn, reply_id, _COLUMNS)
        return None if found is None else _reply(found)

    def previous_part(self, row: ReplyRow) -> ReplyRow | None:
        """The part of the thread before this one."""
        if not row.group_key or row.part <= 1:
            return None
        found = hub_outbox.part(self.conn, row.group_key, row.part - 1, _COLUMNS)
        return None if found is None else _reply(found)

    def answered(self, row: ReplyRow) -> tuple[PostRow | None, dict[str, Any]]:
        """The post the reply answers, as the desks see it, and its raw payload."""
        found = hub_outbox.post(self.conn, row.post_id) if row.post_id is not None else None
        if found is None:
            return None, {}
        raw = json.loads(found.pop("raw") or "{}")
        found.pop("conversation_id")
        found["conversation_id"] = found.pop("thread_id")
        return PostRow(customer_id=None, **found), raw

    def claim(self, row: ReplyRow, now: float) -> bool:
        """Mark the reply `sending` by this epoch, committed, if it is still as read."""
        if ReplyState.SENDING not in _moves_from(row.state):
            return False
        return hub_outbox.claim(self.conn, self.lease, row.id, row.state, now)

    def settle(self, row: ReplyRow, state: ReplyState, now: float, error: str, next_at: float | None) -> bool:
        """Record how an attempt ended short of sent; False when the reply had moved on."""
        starts = [str(s) for s in sources(state)]
        return hub_outbox.settle(self.conn, self.lease, row.id, str(state), starts, now, error, next_at)

    def mark_sent(self, row: ReplyRow, result: SendResult, own: Post | None, now: float) -> None:
        """Record the network's copy of the reply, and our post in its conversation."""
        remote = {
            "remote_id": result.native_id,
            "remote_url": result.url,
            "remote_refs": json.dumps(result.refs),
        }
        starts = [str(s) for s in sources(ReplyState.SENT)]
        hub_outbox.mark_sent(self.conn, self.lease, row.id, starts, now, remote, _own_row(own, now))

    def audit(self, action: str, post_id: int | None, **detail: object) -> None:
        """Append one of delivery's decisions to the team's audit log."""
        hub_outbox.record(self.conn, self.lease, action, post_id, **detail)


def _moves_from(state: str) -> frozenset[ReplyState]:
    return MOVES.get(ReplyState(state), frozenset())


def _reply(row: dict[str, Any]) -> ReplyRow:
    return ReplyRow(**row)


def _own_row(post: Post | None, now: float) -> dict[str, Any] | None:
    """Our sent reply as a row of the shared posts table."""
    if post is None:
        return None
    return {
        "network": post.network,
        "native_id": post.native_id,
        "account": post.account,
        "author_native_id": post.author.native_id,
        "author_handle": post.author.handle,
        "author_name": post.author.display_name,
        "text": post.text,
        "created_at": post.created_at,
        "url": post.url,
        "in_reply_to": post.in_reply_to,
        "thread_id": post.conversation_id,
        "kind": post.kind,
        "is_ours": True,
        "actionable": False,
        "fetched_at": now,
    }
