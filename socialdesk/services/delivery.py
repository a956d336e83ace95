"""Delivery: claims due replies, hands them to the networks in order, and reconciles the uncertain ones.

A reply is claimed (`sending`, committed) before the network call, so a crash leaves evidence:
`recover()` turns such replies into `unknown`, and an unknown reply is reconciled (found on the
network, or proved safe to resend) before any new attempt. A failure after the request may have
left is `unknown`, never a plain retry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from socialdesk.connectors.base import (
    AuthError,
    CannotTell,
    Connector,
    OutgoingReply,
    PermanentError,
    RateLimited,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.models import Author, Post, PostRow, ReplyState
from socialdesk.sanitize import clean
from socialdesk.store import reply_moves
from socialdesk.store.replies import ReplyRow
from socialdesk.store.reply_moves import PENDING

ConnectorResolver = Callable[[str, str], Connector]

# Seconds before checking the network for an uncertain send: a server that stalled may still be
# storing the first request, and a lookup made before it commits would wrongly prove absence.
RECONCILE_DELAY = 30.0
MAX_BACKOFF = 300.0
# What an unknown reply held for the agent says (the desk and `outbox list` show it).
ASK_AGENT = "may have been posted and cannot be checked: look on the network, then retry or discard"


class OutboxEvent(msgspec.Struct, frozen=True):
    """A state change the UI reports (ReplySent, ReplyFailed ...)."""

    reply_id: int
    post_id: int | None
    state: str
    error: str = ""
    remote_url: str = ""
    # An unknown reply the outbox will not decide on its own: the agent must look, then retry or discard.
    ask_agent: bool = False


class Ledger(Protocol):
    """Where delivery reads and records the outbox: a desk's cache (store.outbox_ledger), or the
    team's PostgreSQL for the account a hub leads (hub.ledger). Every move is committed when the
    call returns; `claim` is committed before the request leaves."""

    def next_due(self) -> float | None: ...
    def recover(self, now: float) -> int: ...
    def to_deliver(self) -> list[ReplyRow]: ...
    def get(self, reply_id: int) -> ReplyRow | None: ...
    def previous_part(self, row: ReplyRow) -> ReplyRow | None: ...
    def answered(self, row: ReplyRow) -> tuple[PostRow | None, dict[str, Any]]: ...
    def claim(self, row: ReplyRow, now: float) -> bool: ...
    def settle(
        self, row: ReplyRow, state: ReplyState, now: float, error: str, next_at: float | None
    ) -> bool: ...
    def mark_sent(self, row: ReplyRow, result: SendResult, own: Post | None, now: float) -> None: ...
    def audit(self, action: str, post_id: int | None, **detail: object) -> None: ...


class Delivery:
    """Sends due replies, in order per account, exactly once; keeps one connector per account.

    Args:
        ledger: where the replies are kept (the cache's `CacheLedger`, or a hub's).
        resolve_connector: (network, account) -> the connector that sends for that account.
        clock: current time (tests pass a fake).
    """

    def __init__(
        self, ledger: Ledger, resolve_connector: ConnectorResolver, clock: Callable[[], float] = time.time
    ) -> None:
        self.ledger = ledger
        self.resolve_connector = resolve_connector
        self.clock = clock
        self._connectors: dict[tuple[str, str], Connector] = {}

    def connector(self, network: str, account: str) -> Connector:
        """The connector that sends for an account (built once, then kept)."""
        key = (network, account)
        if key not in self._connectors:
            self._connectors[key] = self.resolve_connector(network, account)
        return self._connectors[key]

    def close(self) -> None:
        """Close the connectors this delivery opened."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()

    def next_due(self) -> float | None:
        """When `process_due` next has something to do (None: nothing pending)."""
        return self.ledger.next_due()

    def recover(self) -> int:
        """At start-up: replies left `sending` by a crash may have reached the server -> unknown.

        Returns:
            How many replies were marked unknown.
        """
        return self.ledger.recover(self.clock())

    def process_due(self, now: float | None = None) -> list[OutboxEvent]:
        """Send every reply that is due, in order per account.

        A reply that is waiting, unknown, needs auth or is in its undo window holds back the later
        replies of its account, so a customer never sees our answers out of order; one scheduled for
        a later time does not (it leaves at its time, after what was queued meanwhile).
        """
        now = self.clock() if now is None else now
        events: list[OutboxEvent] = []
        blocked: set[tuple[str, str]] = set()
        for row in self.ledger.to_deliver():
            key = (row.network, row.account)
            if key in blocked:
                continue
            if row.state == ReplyState.NEEDS_AUTH:  # every later send would fail the same way
                blocked.add(key)
                continue
            event = self._process_one(row, now)
            if event is not None:
                events.append(event)
            current = self.ledger.get(row.id)
            if (
                current is not None
                and current.state in (*PENDING, ReplyState.NEEDS_AUTH)
                and not (current.state == ReplyState.UNKNOWN and current.next_attempt_at is None)
                # A reply scheduled for later is not "before" the replies queued meanwhile.
                and not (current.state == ReplyState.QUEUED and current.scheduled)
            ):
                blocked.add(key)
        return events

    def _process_one(self, row: ReplyRow, now: float) -> OutboxEvent | None:
        # Not due yet, held (for the agent), or `sending`: another worker holds it (or recover() has
        # not run yet).
        due = reply_moves.due_at(row)
        if due is None or due > now:
            return None
        previous = self.ledger.previous_part(row)
        if previous is not None and previous.state != ReplyState.SENT:
            if previous.state in (ReplyState.FAILED, ReplyState.DISCARDED):
                return self._finish(
                    row, ReplyState.FAILED, now, error="an earlier part of the thread was not sent"
                )
            return None
        try:
            connector = self.connector(row.network, row.account)
        except Exception as exc:  # a missing connector or bad config: nothing was sent
            return self._finish(row, ReplyState.FAILED, now, error=f"cannot send: {exc}")
        outgoing = self._outgoing(row, previous)
        if row.state == ReplyState.UNKNOWN:
            resend, event = self._reconcile(row, connector, outgoing, now)
            if not resend:
                return event
        if not self.ledger.claim(row, now):  # committed before the request leaves
            return None
        try:
            result = connector.send(outgoing)
        except RateLimited as exc:
            return self._finish(row, ReplyState.WAITING, now, error=str(exc), next_at=max(exc.until, now))
        except AuthError as exc:
            return self._finish(row, ReplyState.NEEDS_AUTH, now, error=str(exc))
        except SendUncertain as exc:
            return self._finish(row, ReplyState.UNKNOWN, now, error=str(exc), next_at=now + RECONCILE_DELAY)
        except TransientError as exc:
            backoff = min(MAX_BACKOFF, 5.0 * 2 ** max(0, row.attempts))
            return self._finish(row, ReplyState.WAITING, now, error=str(exc), next_at=now + backoff)
        except PermanentError as exc:
            return self._finish(row, ReplyState.FAILED, now, error=str(exc))
        except Exception as exc:  # a connector bug: we cannot know whether it posted
            return self._finish(
                row,
                ReplyState.UNKNOWN,
                now,
                error=f"{type(exc).__name__}: {exc}",
                next_at=now + RECONCILE_DELAY,
            )
        return self._sent(row, result, now)

    def _reconcile(
        self, row: ReplyRow, connector: Connector, outgoing: OutgoingReply, now: float
    ) -> tuple[bool, OutboxEvent | None]:
        """Decide an unknown reply: sent (found), resend (proved absent), or leave to the agent.

        Only a lookup that proves absence, or a server known to recognise the repeat, allows a
        resend; everything else waits (the network is not answering) or goes to the agent.

        Returns:
            Whether a resend may proceed, and (when it may not) the change to report.
        """
        try:
            found = connector.find_sent(outgoing)
        except (RateLimited, TransientError, SendUncertain) as exc:
            next_at = exc.until if isinstance(exc, RateLimited) else now + RECONCILE_DELAY
            return False, self._finish(row, ReplyState.UNKNOWN, now, error=str(exc), next_at=next_at)
        except AuthError as exc:
            return False, self._finish(row, ReplyState.NEEDS_AUTH, now, error=str(exc))
        except CannotTell as exc:
            age = now - (row.first_attempt_at if row.first_attempt_at is not None else now)
            if connector.resend_is_harmless(outgoing, age):
                return True, None
            return False, self._ask_agent(row, now, str(exc))
        except Exception as exc:
            return False, self._ask_agent(row, now, f"cannot check: {type(exc).__name__}: {exc}")
        if found is not None:
            self.ledger.audit("reply.reconciled", row.post_id, reply=row.id, remote_id=found.native_id)
            return False, self._sent(row, found, now)
        self.ledger.audit("reply.absent", row.post_id, reply=row.id)
        return True, None  # the lookup proved it never arrived: send it again

    def _ask_agent(self, row: ReplyRow, now: float, why: str) -> OutboxEvent | None:
        """Hold an unknown reply for the agent (it no longer blocks its account's queue)."""
        return self._finish(row, ReplyState.UNKNOWN, now, next_at=None, error=f"{ASK_AGENT} ({why})")

    def _finish(
        self, row: ReplyRow, state: ReplyState, now: float, error: str = "", next_at: float | None = None
    ) -> OutboxEvent | None:
        """Record how an attempt ended short of sent (None: the reply had moved on meanwhile)."""
        message = clean(error, single_line=True)[:500]
        if not self.ledger.settle(row, state, now, message, next_at):
            return None
        ask = state == ReplyState.UNKNOWN and next_at is None
        return OutboxEvent(row.id, row.post_id, str(state), message, ask_agent=ask)

    def _sent(self, row: ReplyRow, result: SendResult, now: float) -> OutboxEvent:
        post, _ = self.ledger.answered(row)
        previous = self.ledger.previous_part(row)
        own = None
        if post is not None:
            parent = previous.remote_id if previous is not None and previous.remote_id else post.native_id
            own = self._own_post(row, post, result, parent, now)
        self.ledger.mark_sent(row, result, own, now)
        return OutboxEvent(row.id, row.post_id, str(ReplyState.SENT), remote_url=result.url)

    def _own_post(self, row: ReplyRow, post: PostRow, result: SendResult, parent: str, now: float) -> Post:
        """Our reply as a post of its conversation (the thread shows it at once, before any sync)."""
        connector = self._connectors.get((row.network, row.account))
        handle = (connector.own_handle() if connector else "") or row.account or "us"
        return Post(
            network=row.network,
            native_id=result.native_id,
            author=Author(native_id=f"account:{row.account}", handle=handle, display_name=row.account),
            text=row.text,
            created_at=now,
            account=row.account,
            url=result.url,
            in_reply_to=None if row.dm and post.kind != "dm" else parent,
            conversation_id=post.conversation_id or post.native_id,
            kind="dm" if row.dm else "own",
            is_ours=True,
        )

    def _outgoing(self, row: ReplyRow, previous: ReplyRow | None) -> OutgoingReply:
        """What the connector sends: the reply, whom and what it answers, and the previous part's ids."""
        post, raw = self.ledger.answered(row)
        # created_at: when the reply was written, the same on every retry (Bluesky's record key).
        extra: dict[str, object] = {"part": row.part, "parts": row.parts, "created_at": row.created_at}
        in_reply_to = None
        if post is not None:
            in_reply_to = post.native_id
            extra["parent_raw"] = raw
            extra["post_url"] = post.url
        if previous is not None and previous.remote_id:
            in_reply_to = previous.remote_id
            extra["previous"] = {
                "native_id": previous.remote_id,
                "url": previous.remote_url,
                "refs": _json(previous.remote_refs),  # as the network returned them
            }
        if row.dm and (post is None or post.kind != "dm"):
            in_reply_to = None  # a new private conversation
        return OutgoingReply(
            idempotency_key=row.idempotency_key,
            text=row.text,
            in_reply_to=in_reply_to,
            to_handle=post.author_handle if post is not None and row.dm else "",
            to_native_id=post.author_native_id if post is not None and row.dm else "",
            dm=row.dm,
            conversation_id=post.conversation_id if post is not None else None,
            extra=extra,
            first_attempt_at=row.first_attempt_at,
        )


def _json(text: str | None) -> dict[str, Any]:
    import json

    return dict(json.loads(text or "{}"))
