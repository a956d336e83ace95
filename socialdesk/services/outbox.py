"""The outbox: every reply is a row before it is sent; agents queue, undo, approve, retry and discard it.

States (models.ReplyState): awaiting_approval -> queued -> sending -> sent, or waiting (rate limited
or offline, until next_attempt_at), unknown (the request may have reached the server), failed,
needs_auth, discarded. The moves between them are listed in `store.reply_moves.MOVES`; sending and
reconciling are `services.delivery`'s. One `Outbox` serves a desk (the app builds it): its
`delivery` sends what the agents queue, with one connector per account.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.models import Agent, PostRow, ReplyState
from socialdesk.store import Store, reply_moves
from socialdesk.store.queries import get_post
from socialdesk.store.reply_moves import RETRYABLE

if TYPE_CHECKING:  # delivery (and the connectors' code) is imported when something is first sent
    import sqlite3

    from socialdesk.services.delivery import ConnectorResolver, Delivery
    from socialdesk.services.team_outbox import TeamOutbox

    # The outbox's rows (and their classes) are imported by the methods that read them: the desk builds
    # its Outbox before its first frame, which reads none.
    from socialdesk.store.replies import PendingApproval, ReplyRow

_NUMBERING = re.compile(r" \d+/\d+$")


def _joined(rows: list[ReplyRow]) -> str:
    """The text of a reply, or of a thread's parts without their numbering."""
    if len(rows) == 1:
        return rows[0].text
    return " ".join(_NUMBERING.sub("", r.text) for r in rows)


class _TooLate(Exception):
    """An undo arrived after (part of) the reply was handed to the network."""


def new_key() -> str:
    """A fresh idempotency key (random UUID4, 32 hex digits)."""
    return uuid.uuid4().hex


class Outbox:
    """Queues replies and carries out the agents' decisions on them; `delivery` sends them.

    Args:
        store: the cache.
        resolve_connector: (network, account) -> the connector that sends for that account.
        clock: current time (tests pass a fake).
        undo_seconds: the default undo window.
    """

    def __init__(
        self,
        store: Store,
        resolve_connector: ConnectorResolver,
        clock: Callable[[], float] = time.time,
        undo_seconds: float = 10.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.undo_seconds = undo_seconds
        self._resolve_connector = resolve_connector
        self._delivery: Delivery | None = None
        self._delivery_lock = threading.Lock()
        # A team desk's: replies are handed to the team's shared outbox, and decisions on a reply
        # handed over are taken there (services/team_outbox.py); None on a solo desk.
        self.team: TeamOutbox | None = None

    @property
    def delivery(self) -> Delivery:
        """What sends the queued replies, with one connector per account (built on first use)."""
        with self._delivery_lock:  # the outbox worker and the desk's workers share it
            if self._delivery is None:
                from socialdesk.services.delivery import Delivery
                from socialdesk.store.outbox_ledger import CacheLedger

                self._delivery = Delivery(CacheLedger(self.store), self._resolve_connector, self.clock)
            return self._delivery

    def close(self) -> None:
        """Close the connectors the outbox's delivery opened."""
        if self._delivery is not None:
            self._delivery.close()

    # -- queueing --------------------------------------------------------------------------------

    def enqueue(
        self,
        post_id: int,
        text: str | list[str],
        agent: str,
        *,
        dm: bool = False,
        needs_approval: bool = False,
        undo_seconds: float | None = None,
        send_at: float | None = None,
    ) -> list[int]:
        """Persist a reply (or the parts of a thread) before anything is sent.

        Args:
            post_id: the cache id of the post answered.
            text: the final text, or the final text of each part of a thread (in order).
            agent: who wrote it (audit).
            dm: send as a direct message to the post's author.
            needs_approval: the conversation is escalated: hold until `approve`.
            undo_seconds: the undo window (default: the outbox's).
            send_at: a time the agent chose (unix seconds): the reply waits in the outbox until then
                (undo and discard take it back), holding back no other reply.

        Returns:
            The reply ids, one per part.
        """
        parts = [text] if isinstance(text, str) else list(text)
        if not parts or not all(p.strip() for p in parts):
            raise UserError("the reply is empty")
        post = self._post(post_id)
        now = self.clock()
        window = self.undo_seconds if undo_seconds is None else undo_seconds
        state = ReplyState.AWAITING_APPROVAL if needs_approval else ReplyState.QUEUED
        with self.store.transaction() as conn:
            ids = reply_moves.insert(
                conn,
                post.id,
                post.network,
                post.account,
                parts,
                [new_key() for _ in parts],
                state=state,
                agent=agent,
                dm=dm,
                group_key=new_key() if len(parts) > 1 else None,
                send_after=None if needs_approval else send_at if send_at is not None else now + window,
                now=now,
                scheduled=send_at is not None and not needs_approval,
            )
            detail = {"send_at": send_at} if send_at is not None else {}
            self.store.audit(agent, "reply.queued", post.id, replies=ids, dm=dm, state=str(state), **detail)
        if self.team is not None:
            self.team.wake()
        return ids

    def take_private(self, post_id: int, dm_text: str, public_text: str, agent: str) -> list[int]:
        """Move a conversation to private: a DM to the author, then a short public reply.

        Returns:
            The ids of the DM and of the public reply.

        Raises:
            UserError: the post's network cannot send direct messages through this account.
        """
        post = self._post(post_id)
        if self.team is not None:  # no connector on a team desk: the network's own facts say it
            from socialdesk.capabilities import facts

            network = facts(post.network)
            can_dm, name = network.capabilities.can_dm, network.display_name
        else:
            connector = self.delivery.connector(post.network, post.account)
            can_dm, name = connector.capabilities.can_dm, connector.display_name or post.network
        if not can_dm:
            raise UserError(
                f"{name} has no direct messages here: reply in public or contact the customer another way"
            )
        # The DM first: per-account order makes the public "check your DMs" follow it.
        ids = self.enqueue(post_id, dm_text, agent, dm=True)
        ids += self.enqueue(post_id, public_text, agent)
        self.store.audit(agent, "reply.take_private", post_id, dm=ids[0], public=ids[1])
        return ids

    # -- the agent's decisions ---------------------------------------------------------------------

    def undo(self, reply_id: int) -> str | None:
        """Take back a reply still inside its undo window (the whole thread for a part).

        Returns:
            The text to put back in the composer, or None when it is too late.
        """
        row = self.get(reply_id)
        if row is None:
            return None
        rows = self._group(self.store.conn, row)
        if self.team is not None:
            with self.team.lock:  # never while it is being handed over
                taken = self.team.undo(rows)
                if taken is None:
                    return self._undo_here(row, rows)
            return _joined(rows) if taken else None
        return self._undo_here(row, rows)

    def _undo_here(self, row: ReplyRow, rows: list[ReplyRow]) -> str | None:
        try:
            with self.store.transaction() as conn:
                if reply_moves.take_back(conn, [r.id for r in rows], self.clock()) != len(rows):
                    raise _TooLate  # part of a thread already left: roll back, keep it all going
                self.store.audit(row.agent, "reply.undone", row.post_id, replies=[r.id for r in rows])
        except _TooLate:
            return None
        return _joined(rows)

    def restore(self, reply_id: int, agent: str) -> tuple[int, str]:
        """Make a discarded reply the draft of its post again (after the draft already there).

        Returns:
            The post's id and the draft it now has.
        """
        row = self._existing(reply_id)
        if row.state != ReplyState.DISCARDED or row.post_id is None:
            raise UserError(f"reply {reply_id} is {row.state}; only a discarded reply goes back to its draft")
        text = _joined(self._group(self.store.conn, row))
        with self.store.transaction():
            current = self.store.draft(row.post_id).strip()
            # Whatever was written since stays: two texts side by side beat one lost.
            draft = text if not current or current == text else f"{current}\n\n{text}"
            self.store.save_draft(row.post_id, draft)
            self.store.audit(agent, "reply.restored", row.post_id, reply=reply_id)
        return row.post_id, draft

    def approve(self, reply_id: int, approver: Agent) -> None:
        """Release a reply held for approval (the approver needs the "approver" role)."""
        if "approver" not in approver.roles:
            raise UserError(f"{approver.name} cannot approve replies (needs the approver role)")
        row = self.get(reply_id)
        if row is None or row.state != ReplyState.AWAITING_APPROVAL:
            raise UserError(f"reply {reply_id} is not awaiting approval")
        group = self._group(self.store.conn, row)
        if self.team is not None and self.team.approve(group, approver.name, self.undo_seconds):
            return
        now = self.clock()
        with self.store.transaction() as conn:
            ids = [r.id for r in group]
            reply_moves.release(conn, ids, approver.name, now + self.undo_seconds, now)
            self.store.audit(approver.name, "reply.approved", row.post_id, reply=reply_id)

    def retry(self, reply_id: int, agent: str) -> int:
        """Queue a failed, needs-auth or unreconcilable reply again (its thread's later parts too).

        A needs-auth reply wakes every reply its account held back: sign-in is per account.

        Returns:
            How many replies were queued again.
        """
        from socialdesk.store import replies

        row = self._existing(reply_id)
        if row.state not in RETRYABLE:
            raise UserError(f"reply {reply_id} is {row.state}; only failed, waiting or unknown replies retry")
        if self.team is not None:
            group = [r for r in self._group(self.store.conn, row) if r.state in RETRYABLE]
            if (moved := self.team.retry(group, agent)) is not None:
                return moved
        now = self.clock()
        with self.store.transaction() as conn:
            again = {r.id: r for r in self._group(conn, row) if r.state in RETRYABLE}
            if row.state == ReplyState.NEEDS_AUTH:
                again |= {r.id: r for r in replies.held_by_auth(conn, row.network, row.account)}
            moved = sum(reply_moves.requeue(conn, r, now) for r in again.values())
            self.store.audit(agent, "reply.retried", row.post_id, replies=sorted(again), manual=True)
        return moved

    def discard(self, reply_id: int, agent: str) -> None:
        """Give up on a reply that has not been sent (its whole thread)."""
        row = self._existing(reply_id)
        if row.state in (ReplyState.SENT, ReplyState.SENDING):
            raise UserError(f"reply {reply_id} is {row.state} and cannot be discarded")
        if self.team is not None and self.team.discard(self._group(self.store.conn, row), agent):
            return
        with self.store.transaction() as conn:
            reply_moves.discard(conn, [r.id for r in self._group(conn, row)], self.clock())
            self.store.audit(agent, "reply.discarded", row.post_id, reply=reply_id)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, reply_id: int) -> ReplyRow | None:
        """One reply by id."""
        from socialdesk.store import replies

        return replies.get(self.store.conn, reply_id)

    def page(
        self, states: Sequence[str] = (), before_id: int | None = None, limit: int = 50
    ) -> tuple[list[ReplyRow], bool]:
        """Newest replies first, keyset on id (`before_id`: the last id already shown).

        Returns:
            The rows and whether more exist.
        """
        from socialdesk.store import replies

        return replies.page(self.store.conn, states, before_id, limit)

    def unsent(self, limit: int = 5) -> tuple[list[ReplyRow], int]:
        """Replies still to leave (queued, in or past their undo window, or waiting to retry), oldest first.

        Returns:
            Up to `limit` rows and how many there are in all.
        """
        from socialdesk.store import replies

        return replies.unsent(self.store.conn, limit)

    def awaiting_approval(
        self, after_id: int | None = None, limit: int = 50
    ) -> tuple[list[PendingApproval], bool]:
        """Replies held for an approver, oldest first (keyset: `after_id`, the last one shown).

        Returns:
            The replies, each with the post it answers, and whether more exist.
        """
        from socialdesk.store import replies

        return replies.awaiting_approval(self.store.conn, after_id, limit)

    def for_post(self, post_id: int) -> list[ReplyRow]:
        """Every reply to one post, oldest first (the composer and thread show their states)."""
        from socialdesk.store import replies

        return replies.for_post(self.store.conn, post_id)

    # -- helpers ---------------------------------------------------------------------------------

    def _post(self, post_id: int) -> PostRow:
        post = get_post(self.store.conn, post_id)
        if post is None:
            raise UserError(f"no post {post_id} in the cache")
        return post

    def _group(self, conn: sqlite3.Connection, row: ReplyRow) -> list[ReplyRow]:
        from socialdesk.store import replies

        return replies.group_of(conn, row)

    def _existing(self, reply_id: int) -> ReplyRow:
        row = self.get(reply_id)
        if row is None:
            raise UserError(f"no reply {reply_id} in the outbox")
        return row
