"""The persistent outbox: every reply is a row before it is sent, and goes out exactly once, in order.

States (models.ReplyState): awaiting_approval -> queued -> sending -> sent, or waiting (rate limited
or offline, until next_attempt_at), unknown (the request may have reached the server), failed,
needs_auth, discarded. A row is marked `sending` in a committed transaction before the network
call, so a crash leaves evidence: `recover()` turns such rows into `unknown`, and an unknown reply is
reconciled (found on the network, or proved safe to resend) before any new attempt.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from socialdesk.errors import UserError
from socialdesk.models import Agent, Author, Post, PostRow, ReplyState
from socialdesk.sanitize import clean
from socialdesk.store import Store
from socialdesk.store.queries import get_post

ConnectorResolver = Callable[[str, str], Connector]

COLUMNS = (
    "id, post_id, network, account, text, dm, state, idempotency_key, agent, approved_by, remote_id, "
    "remote_url, error, attempts, group_key, part, parts, send_after, next_attempt_at, created_at, "
    "updated_at, first_attempt_at, remote_refs"
)
# States in which a reply still has to go out; they hold back later replies of the same account.
PENDING = (ReplyState.QUEUED, ReplyState.WAITING, ReplyState.UNKNOWN, ReplyState.SENDING)
# Seconds before checking the network for an uncertain send: a server that stalled may still be
# storing the first request, and a lookup made before it commits would wrongly prove absence.
RECONCILE_DELAY = 30.0
MAX_BACKOFF = 300.0
# What an unknown reply held for the agent says (the desk and `outbox list` show it).
ASK_AGENT = "may have been posted and cannot be checked: look on the network, then retry or discard"
_NUMBERING = re.compile(r" \d+/\d+$")


def _joined(rows: list[OutboxRow]) -> str:
    """The text of a reply, or of a thread's parts without their numbering."""
    if len(rows) == 1:
        return rows[0].text
    return " ".join(_NUMBERING.sub("", r.text) for r in rows)


@dataclass(slots=True)
class OutboxRow:
    """One reply in the outbox."""

    id: int
    post_id: int | None
    network: str
    account: str
    text: str
    dm: bool
    state: str
    idempotency_key: str
    agent: str
    approved_by: str
    remote_id: str | None
    remote_url: str
    error: str
    attempts: int
    group_key: str | None
    part: int
    parts: int
    send_after: float | None
    next_attempt_at: float | None
    created_at: float
    updated_at: float
    first_attempt_at: float | None
    remote_refs: str = "{}"  # JSON: what the network returned beyond the id (SendResult.refs)

    def as_dict(self) -> dict[str, Any]:
        """The row as plain data (`outbox list --json`)."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """A state change the UI reports (ReplySent, ReplyFailed ...)."""

    reply_id: int
    post_id: int | None
    state: str
    error: str = ""
    remote_url: str = ""
    # An unknown reply the outbox will not decide on its own: the agent must look, then retry or discard.
    ask_agent: bool = False


class _TooLate(Exception):
    """An undo arrived after (part of) the reply was handed to the network."""


def new_key() -> str:
    """A fresh idempotency key (random UUID4, 32 hex digits)."""
    return uuid.uuid4().hex


class Outbox:
    """Queues, sends, retries and reconciles replies.

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
        self.resolve_connector = resolve_connector
        self.clock = clock
        self.undo_seconds = undo_seconds
        self._connectors: dict[tuple[str, str], Connector] = {}

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
    ) -> list[int]:
        """Persist a reply (or the parts of a thread) before anything is sent.

        Args:
            post_id: the cache id of the post answered.
            text: the final text, or the final text of each part of a thread (in order).
            agent: who wrote it (audit).
            dm: send as a direct message to the post's author.
            needs_approval: the conversation is escalated: hold until `approve`.
            undo_seconds: the undo window (default: the outbox's).

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
        send_after = None if needs_approval else now + window
        group = new_key() if len(parts) > 1 else None
        ids = []
        with self.store.transaction() as conn:
            for index, part in enumerate(parts, 1):
                cur = conn.execute(
                    "INSERT INTO replies (post_id, network, account, text, dm, state, idempotency_key, "
                    "agent, group_key, part, parts, send_after, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        post.id,
                        post.network,
                        post.account,
                        part,
                        int(dm),
                        state,
                        new_key(),
                        agent,
                        group,
                        index,
                        len(parts),
                        send_after,
                        now,
                        now,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
            self.store.audit(agent, "reply.queued", post.id, replies=ids, dm=dm, state=str(state))
        return ids

    def take_private(self, post_id: int, dm_text: str, public_text: str, agent: str) -> list[int]:
        """Move a conversation to private: a DM to the author, then a short public reply.

        Returns:
            The ids of the DM and of the public reply.

        Raises:
            UserError: the post's network cannot send direct messages through this account.
        """
        post = self._post(post_id)
        connector = self.resolve_connector(post.network, post.account)
        self._connectors.setdefault((post.network, post.account), connector)
        if not connector.capabilities.can_dm:
            name = connector.display_name or post.network
            raise UserError(
                f"{name} has no direct messages here: reply in public or contact the customer another way"
            )
        # The DM first: per-account order makes the public "check your DMs" follow it.
        ids = self.enqueue(post_id, dm_text, agent, dm=True)
        ids += self.enqueue(post_id, public_text, agent)
        self.store.audit(agent, "reply.take_private", post_id, dm=ids[0], public=ids[1])
        return ids

    def undo(self, reply_id: int) -> str | None:
        """Take back a reply still inside its undo window (the whole thread for a part).

        Returns:
            The text to put back in the composer, or None when it is too late.
        """
        row = self.get(reply_id)
        if row is None:
            return None
        rows = self._group(row)
        now = self.clock()
        try:
            with self.store.transaction() as conn:
                marks = ",".join("?" * len(rows))
                taken = conn.execute(
                    f"UPDATE replies SET state = ?, updated_at = ? WHERE id IN ({marks}) "
                    "AND state = ? AND send_after > ?",
                    (ReplyState.DISCARDED, now, *[r.id for r in rows], ReplyState.QUEUED, now),
                ).rowcount
                if taken != len(rows):
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
        row = self.get(reply_id)
        if row is None:
            raise UserError(f"no reply {reply_id} in the outbox")
        if row.state != ReplyState.DISCARDED or row.post_id is None:
            raise UserError(f"reply {reply_id} is {row.state}; only a discarded reply goes back to its draft")
        text = _joined(self._group(row))
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
        now = self.clock()
        with self.store.transaction() as conn:
            for r in self._group(row):
                conn.execute(
                    "UPDATE replies SET state = ?, approved_by = ?, send_after = ?, updated_at = ? "
                    "WHERE id = ? AND state = ?",
                    (
                        ReplyState.QUEUED,
                        approver.name,
                        now + self.undo_seconds,
                        now,
                        r.id,
                        ReplyState.AWAITING_APPROVAL,
                    ),
                )
            self.store.audit(approver.name, "reply.approved", row.post_id, reply=reply_id)

    def retry(self, reply_id: int, agent: str) -> int:
        """Queue a failed, needs-auth or unreconcilable reply again (its thread's later parts too).

        Returns:
            How many replies were queued again.
        """
        row = self.get(reply_id)
        if row is None:
            raise UserError(f"no reply {reply_id} in the outbox")
        retryable = (ReplyState.FAILED, ReplyState.NEEDS_AUTH, ReplyState.UNKNOWN, ReplyState.WAITING)
        if row.state not in retryable:
            raise UserError(f"reply {reply_id} is {row.state}; only failed, waiting or unknown replies retry")
        now = self.clock()
        ids = {r.id for r in self._group(row) if r.state in retryable}
        if row.state == ReplyState.NEEDS_AUTH:  # auth is per account: wake every reply it held back
            ids |= {
                r[0]
                for r in self.store.conn.execute(
                    "SELECT id FROM replies WHERE account = ? AND network = ? AND state = ?",
                    (row.account, row.network, ReplyState.NEEDS_AUTH),
                )
            }
        with self.store.transaction() as conn:
            for rid in ids:
                # An unknown reply still being reconciled is checked again now, never resent blindly;
                # one held for the agent (next_attempt_at NULL) is resent: the agent looked first.
                conn.execute(
                    "UPDATE replies SET state = CASE WHEN state = ? AND next_attempt_at IS NOT NULL "
                    "THEN state ELSE ? END, send_after = ?, next_attempt_at = ?, error = '', updated_at = ? "
                    "WHERE id = ?",
                    (ReplyState.UNKNOWN, ReplyState.QUEUED, now, now, now, rid),
                )
            self.store.audit(agent, "reply.retried", row.post_id, replies=sorted(ids), manual=True)
        return len(ids)

    def discard(self, reply_id: int, agent: str) -> None:
        """Give up on a reply that has not been sent (its whole thread)."""
        row = self.get(reply_id)
        if row is None:
            raise UserError(f"no reply {reply_id} in the outbox")
        if row.state in (ReplyState.SENT, ReplyState.SENDING):
            raise UserError(f"reply {reply_id} is {row.state} and cannot be discarded")
        now = self.clock()
        with self.store.transaction() as conn:
            for r in self._group(row):
                conn.execute(
                    "UPDATE replies SET state = ?, updated_at = ? WHERE id = ? AND state NOT IN (?, ?)",
                    (ReplyState.DISCARDED, now, r.id, ReplyState.SENT, ReplyState.SENDING),
                )
            self.store.audit(agent, "reply.discarded", row.post_id, reply=reply_id)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, reply_id: int) -> OutboxRow | None:
        """One reply by id."""
        row = self.store.conn.execute(f"SELECT {COLUMNS} FROM replies WHERE id = ?", (reply_id,)).fetchone()
        return _row(row) if row else None

    def page(
        self, states: tuple[str, ...] = (), before_id: int | None = None, limit: int = 50
    ) -> tuple[list[OutboxRow], bool]:
        """Newest replies first, keyset on id (`before_id`: the last id already shown).

        Returns:
            The rows and whether more exist.
        """
        where: list[str] = ["1"]
        params: list[Any] = []
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            params += list(states)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        rows = [
            _row(r)
            for r in self.store.conn.execute(
                f"SELECT {COLUMNS} FROM replies WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                [*params, limit + 1],
            )
        ]
        return rows[:limit], len(rows) > limit

    def unsent(self, limit: int = 5) -> tuple[list[OutboxRow], int]:
        """Replies still to leave (queued, in or past their undo window, or waiting to retry), oldest first.

        Returns:
            Up to `limit` rows and how many there are in all.
        """
        states = (ReplyState.QUEUED, ReplyState.WAITING)
        conn = self.store.conn
        rows = conn.execute(
            f"SELECT {COLUMNS} FROM replies WHERE state IN (?, ?) ORDER BY id LIMIT ?", (*states, limit)
        ).fetchall()
        total = conn.execute("SELECT count(*) FROM replies WHERE state IN (?, ?)", states).fetchone()[0]
        return [_row(r) for r in rows], total

    def for_post(self, post_id: int) -> list[OutboxRow]:
        """Every reply to one post, oldest first (the composer and thread show their states)."""
        return [
            _row(r)
            for r in self.store.conn.execute(
                f"SELECT {COLUMNS} FROM replies WHERE post_id = ? ORDER BY id", (post_id,)
            )
        ]

    def next_due(self) -> float | None:
        """When `process_due` next has something to do (None: nothing pending)."""
        row = self.store.conn.execute(
            "SELECT MIN(CASE WHEN state = ? THEN send_after ELSE next_attempt_at END) FROM replies "
            "WHERE state IN (?, ?, ?)",
            (ReplyState.QUEUED, ReplyState.QUEUED, ReplyState.WAITING, ReplyState.UNKNOWN),
        ).fetchone()
        return row[0]

    # -- sending ---------------------------------------------------------------------------------

    def recover(self) -> int:
        """At start-up: replies left `sending` by a crash may have reached the server -> unknown.

        Returns:
            How many replies were marked unknown.
        """
        now = self.clock()
        with self.store.transaction() as conn:
            count = conn.execute(
                "UPDATE replies SET state = ?, next_attempt_at = ?, error = ?, updated_at = ? "
                "WHERE state = ?",
                (ReplyState.UNKNOWN, now, "interrupted while sending", now, ReplyState.SENDING),
            ).rowcount
            if count:
                self.store.audit("outbox", "reply.recovered", None, count=count)
        return count

    def process_due(self, now: float | None = None) -> list[OutboxEvent]:
        """Send every reply that is due, in order per account.

        A reply that is waiting, unknown, needs auth or is in its undo window holds back the later
        replies of its account, so a customer never sees our answers out of order.
        """
        now = self.clock() if now is None else now
        events: list[OutboxEvent] = []
        pending = [
            _row(r)
            for r in self.store.conn.execute(
                f"SELECT {COLUMNS} FROM replies WHERE state IN (?, ?, ?, ?, ?) ORDER BY id",
                [*(str(s) for s in PENDING), str(ReplyState.NEEDS_AUTH)],
            )
        ]
        blocked: set[tuple[str, str]] = set()
        for row in pending:
            key = (row.network, row.account)
            if key in blocked:
                continue
            if row.state == ReplyState.NEEDS_AUTH:  # every later send would fail the same way
                blocked.add(key)
                continue
            event = self._process_one(row, now)
            if event is not None:
                events.append(event)
            current = self.get(row.id)
            if (
                current is not None
                and current.state in (*PENDING, ReplyState.NEEDS_AUTH)
                and not (current.state == ReplyState.UNKNOWN and current.next_attempt_at is None)
            ):
                blocked.add(key)
        return events

    def _process_one(self, row: OutboxRow, now: float) -> OutboxEvent | None:
        if row.state == ReplyState.SENDING:
            return None  # another worker holds it (or recover() has not run yet)
        if row.state == ReplyState.QUEUED and (row.send_after or 0) > now:
            return None
        if row.state in (ReplyState.WAITING, ReplyState.UNKNOWN) and (
            row.next_attempt_at is None or row.next_attempt_at > now
        ):
            return None
        previous = self._previous_part(row)
        if previous is not None and previous.state != ReplyState.SENT:
            if previous.state in (ReplyState.FAILED, ReplyState.DISCARDED):
                return self._finish(
                    row, ReplyState.FAILED, now, error="an earlier part of the thread was not sent"
                )
            return None
        try:
            connector = self._connector(row)
        except Exception as exc:  # a missing connector or bad config: nothing was sent
            return self._finish(row, ReplyState.FAILED, now, error=f"cannot send: {exc}")
        outgoing = self._outgoing(row, previous)
        if row.state == ReplyState.UNKNOWN:
            decided = self._reconcile(row, connector, outgoing, now)
            if decided is not None:
                return decided
        if not self._claim(row, now):
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
        self, row: OutboxRow, connector: Connector, outgoing: OutgoingReply, now: float
    ) -> OutboxEvent | None:
        """Decide an unknown reply: sent (found), resend (proved absent), or leave to the agent.

        Only a lookup that proves absence, or a server known to recognise the repeat, allows a
        resend; everything else waits (the network is not answering) or goes to the agent.

        Returns None when a resend may proceed.
        """
        try:
            found = connector.find_sent(outgoing)
        except (RateLimited, TransientError, SendUncertain) as exc:
            next_at = exc.until if isinstance(exc, RateLimited) else now + RECONCILE_DELAY
            return self._finish(row, ReplyState.UNKNOWN, now, error=str(exc), next_at=next_at)
        except AuthError as exc:
            return self._finish(row, ReplyState.NEEDS_AUTH, now, error=str(exc))
        except CannotTell as exc:
            age = now - (row.first_attempt_at if row.first_attempt_at is not None else now)
            if connector.resend_is_harmless(outgoing, age):
                return None
            return self._ask_agent(row, now, str(exc))
        except Exception as exc:
            return self._ask_agent(row, now, f"cannot check: {type(exc).__name__}: {exc}")
        if found is not None:
            self.store.audit(
                "outbox", "reply.reconciled", row.post_id, reply=row.id, remote_id=found.native_id
            )
            return self._sent(row, found, now)
        self.store.audit("outbox", "reply.absent", row.post_id, reply=row.id)
        return None  # the lookup proved it never arrived: send it again

    def _ask_agent(self, row: OutboxRow, now: float, why: str) -> OutboxEvent:
        """Hold an unknown reply for the agent (it no longer blocks its account's queue)."""
        return self._finish(
            row,
            ReplyState.UNKNOWN,
            now,
            next_at=None,
            error=f"{ASK_AGENT} ({why})",
        )

    def _claim(self, row: OutboxRow, now: float) -> bool:
        """Mark the reply `sending`, committed, before the network call (a crash leaves the evidence)."""
        with self.store.transaction() as conn:
            claimed = conn.execute(
                "UPDATE replies SET state = ?, attempts = attempts + 1, "
                "first_attempt_at = COALESCE(first_attempt_at, ?), updated_at = ? WHERE id = ? AND state = ?",
                (ReplyState.SENDING, now, now, row.id, row.state),
            ).rowcount
        return claimed == 1

    def _finish(
        self, row: OutboxRow, state: ReplyState, now: float, error: str = "", next_at: float | None = None
    ) -> OutboxEvent:
        message = clean(error, single_line=True)[:500]
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE replies SET state = ?, error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                (state, message, next_at, now, row.id),
            )
            self.store.audit("outbox", f"reply.{state}", row.post_id, reply=row.id, error=message)
        ask = state == ReplyState.UNKNOWN and next_at is None
        return OutboxEvent(row.id, row.post_id, str(state), message, ask_agent=ask)

    def _sent(self, row: OutboxRow, result: SendResult, now: float) -> OutboxEvent:
        post = get_post(self.store.conn, row.post_id) if row.post_id is not None else None
        previous = self._previous_part(row)
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE replies SET state = ?, remote_id = ?, remote_url = ?, remote_refs = ?, error = '', "
                "next_attempt_at = NULL, updated_at = ? WHERE id = ?",
                (ReplyState.SENT, result.native_id, result.url, json.dumps(result.refs), now, row.id),
            )
            if post is not None:
                parent = previous.remote_id if previous is not None and previous.remote_id else post.native_id
                self.store.upsert_posts([self._own_post(row, post, result, parent, now)])
                conn.execute(
                    "UPDATE posts SET first_response_at = ? WHERE id = ? AND first_response_at IS NULL",
                    (now, post.id),
                )
            self.store.audit("outbox", "reply.sent", row.post_id, reply=row.id, remote_id=result.native_id)
        return OutboxEvent(row.id, row.post_id, str(ReplyState.SENT), remote_url=result.url)

    def _own_post(self, row: OutboxRow, post: PostRow, result: SendResult, parent: str, now: float) -> Post:
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

    # -- helpers ---------------------------------------------------------------------------------

    def _post(self, post_id: int) -> PostRow:
        post = get_post(self.store.conn, post_id)
        if post is None:
            raise UserError(f"no post {post_id} in the cache")
        return post

    def _group(self, row: OutboxRow) -> list[OutboxRow]:
        if not row.group_key:
            return [row]
        return [
            _row(r)
            for r in self.store.conn.execute(
                f"SELECT {COLUMNS} FROM replies WHERE group_key = ? ORDER BY part", (row.group_key,)
            )
        ]

    def _previous_part(self, row: OutboxRow) -> OutboxRow | None:
        if not row.group_key or row.part <= 1:
            return None
        found = self.store.conn.execute(
            f"SELECT {COLUMNS} FROM replies WHERE group_key = ? AND part = ?", (row.group_key, row.part - 1)
        ).fetchone()
        return _row(found) if found else None

    def _connector(self, row: OutboxRow) -> Connector:
        key = (row.network, row.account)
        if key not in self._connectors:
            self._connectors[key] = self.resolve_connector(row.network, row.account)
        return self._connectors[key]

    def _outgoing(self, row: OutboxRow, previous: OutboxRow | None) -> OutgoingReply:
        post = get_post(self.store.conn, row.post_id) if row.post_id is not None else None
        # created_at: when the reply was written, the same on every retry (Bluesky's record key).
        extra: dict[str, Any] = {"part": row.part, "parts": row.parts, "created_at": row.created_at}
        in_reply_to = None
        if post is not None:
            in_reply_to = post.native_id
            raw = self.store.conn.execute("SELECT raw FROM posts WHERE id = ?", (post.id,)).fetchone()
            extra["parent_raw"] = json.loads(raw[0]) if raw else {}
            extra["post_url"] = post.url
        if previous is not None and previous.remote_id:
            in_reply_to = previous.remote_id
            extra["previous"] = {
                "native_id": previous.remote_id,
                "url": previous.remote_url,
                "refs": json.loads(previous.remote_refs or "{}"),  # as the network returned them
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

    def close(self) -> None:
        """Close the connectors this outbox opened."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()


def _row(values: Any) -> OutboxRow:
    v = list(values)
    return OutboxRow(
        id=v[0],
        post_id=v[1],
        network=v[2],
        account=v[3],
        text=v[4],
        dm=bool(v[5]),
        state=v[6],
        idempotency_key=v[7],
        agent=v[8],
        approved_by=v[9],
        remote_id=v[10],
        remote_url=v[11],
        error=v[12],
        attempts=v[13],
        group_key=v[14],
        part=v[15],
        parts=v[16],
        send_after=v[17],
        next_attempt_at=v[18],
        created_at=v[19],
        updated_at=v[20],
        first_attempt_at=v[21],
        remote_refs=v[22],
    )
