"""A team desk's actions on the shared database: claims with leases, statuses, presence, the offline journal.

Every call blocks on PostgreSQL, so the desk calls them from thread workers. One connection serves the
actions (a lock keeps them one at a time); the change feed has its own (services/team_follow.py).
A lost or refused connection raises `TeamOffline`; resolving then goes to the local journal, applied
in the cache at once and replayed on reconnect, where a conflict is reported, never overwritten.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import msgspec

from socialdesk.errors import UserError
from socialdesk.models import Status
from socialdesk.services.team_share import SHARED, SharedActions
from socialdesk.store import queue_queries as qq
from socialdesk.store import team_cache
from socialdesk.team import claims
from socialdesk.team.claims import ClaimConflict

if TYPE_CHECKING:
    import psycopg

    from socialdesk.secrets import SecretStore
    from socialdesk.store import Store
    from socialdesk.team.supervisor import SupervisorView

T = TypeVar("T")
TEAM_STATUSES = ("new", "open", "pending", "snoozed", "resolved", "escalated")  # team/schema.py's
VIEWING_SECONDS = 30.0  # a viewing mark lasts this long unless the desk says it again
TYPING_SECONDS = 8.0  # a typing mark fades this long after the last keystroke that was sent
TYPING_EVERY = 3.0  # at most one typing update per conversation in this many seconds


class TeamOffline(UserError):
    """The team database cannot be reached now (the line says why)."""


class Claimed(msgspec.Struct, frozen=True):
    """A conversation this desk claimed: the team's id and the cached post the desk opens."""

    conversation_id: int
    post_id: int | None
    lease_until: float
    taken_over_from: str = ""


class Replayed(msgspec.Struct, frozen=True):
    """What replaying the journal did: actions applied, and conflicts to show the agent (one line each)."""

    applied: int = 0
    conflicts: tuple[str, ...] = ()


class TeamDesk(SharedActions):
    """One agent's desk on the team database.

    Args:
        url: the team database (config's [team] url).
        store: the desk's cache.
        agent: the agent at the keyboard (a member of the team).
        secrets: where the database password may be kept.
        clock: the desk's clock (tests pass a fake); the server's is `server_now()`.
        lease: seconds a claim lasts unless renewed.
    """

    def __init__(
        self,
        url: str,
        store: Store,
        agent: str,
        secrets: SecretStore | None = None,
        clock: Callable[[], float] = time.time,
        lease: float = claims.DEFAULT_LEASE,
    ) -> None:
        self.url = url
        self.store = store
        self.agent = agent
        self.secrets = secrets
        self.clock = clock
        self.lease = lease
        self.offset = 0.0  # the server's clock minus ours, measured at each connection
        self.held: dict[int, float] = {}  # conversations this desk holds -> lease end (server clock)
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._typing_sent: dict[int, float] = {}
        self.viewing: int | None = None  # the conversation the agent has open, said every half mark
        self._viewing_sent = 0.0

    # -- the connection ------------------------------------------------------------------------------

    def open(self) -> psycopg.Connection:
        """A new autocommit connection to the team database, the clocks' offset measured.

        Raises:
            TeamOffline: it cannot be reached, in one line without the password.
        """
        import psycopg

        from socialdesk.team.connect import connect

        try:
            conn = connect(self.url, self.secrets, where="team.url")
            before = self.clock()
            row = conn.execute("SELECT team_now()").fetchone()
            self.offset = float(row[0]) - (before + self.clock()) / 2 if row else 0.0
        except (UserError, psycopg.Error) as exc:
            raise TeamOffline(str(exc) if isinstance(exc, UserError) else _why(exc, self.url)) from None
        return conn

    def server_now(self) -> float:
        """Now on the team server's clock (leases and presence are compared with it)."""
        return self.clock() + self.offset

    def call(self, op: Callable[[psycopg.Connection], T]) -> T:
        """Run `op` on the actions' connection (one at a time; opened again after a loss).

        Raises:
            TeamOffline: the team database cannot be reached, or the connection was lost in `op`.
        """
        return self._call(op)

    def _call(self, op: Callable[[psycopg.Connection], T]) -> T:
        import psycopg

        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self.open()
            try:
                return op(self._conn)
            except psycopg.OperationalError as exc:
                self._conn.close()
                self._conn = None
                raise TeamOffline(_why(exc, self.url)) from None

    def close(self) -> None:
        """Close the actions' connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- claims ----------------------------------------------------------------------------------------

    def claim_next(self) -> Claimed | None:
        """Claim the next conversation of the team's queue (None: nothing claimable).

        Raises:
            TeamOffline: claiming needs the team database (it decides who gets what).
        """
        got = self._call(lambda conn: claims.claim_next(conn, self.agent, self.lease))
        if got is None:
            return None
        self.held[got.conversation_id] = got.lease_until
        with self.store.transaction() as conn:
            team_cache.put_claims(
                conn,
                [
                    {
                        "conversation_id": got.conversation_id,
                        "agent": self.agent,
                        "claimed_at": self.server_now(),
                        "lease_until": got.lease_until,
                    }
                ],
            )
        post_id = team_cache.latest_post(self.store.conn, got.conversation_id)
        return Claimed(got.conversation_id, post_id, got.lease_until, got.taken_over_from)

    def holder(self, conversation_id: int) -> str:
        """Who else holds a live claim on the conversation, as the cache last read it ("" nobody)."""
        mark = team_cache.mark(self.store.conn, conversation_id, self.server_now(), self.agent)
        return mark.holder if mark.holder != self.agent else ""

    def refuse_if_held(self, post_id: int) -> int | None:
        """The team conversation of a post, unless someone else holds it (the cache's view, instant).

        Raises:
            ClaimConflict: who holds it, so the desk shows it and acts on nothing.
        """
        found = team_cache.conversation_of(self.store.conn, post_id)
        if found is None:
            return None
        mark = team_cache.mark(self.store.conn, found[0], self.server_now(), self.agent)
        if mark.holder and mark.holder != self.agent:
            left = max(0, round(mark.lease_until - self.server_now()))
            raise ClaimConflict(f"{mark.holder} holds this conversation (lease ends in {left} s)")
        return found[0]

    def renew(self) -> list[int]:
        """Extend every lease this desk holds; the conversations whose claim was lost meanwhile."""
        lost = []
        for conversation_id in list(self.held):
            until = self._call(
                partial(_renew, conversation_id=conversation_id, agent=self.agent, lease=self.lease)
            )
            if until is None:
                lost.append(conversation_id)
                self.held.pop(conversation_id, None)
            else:
                self.held[conversation_id] = until
        return lost

    # -- resolving, online or journalled ------------------------------------------------------------------

    def resolve(self, post_id: int) -> bool:
        """Resolve a post's conversation for the team and release its claim.

        Returns:
            True when the team database took it; False when it was unreachable and the action waits
            in the journal (applied in the cache already).

        Raises:
            ClaimConflict: someone else holds it (nothing is changed).
            UserError: the post is not in the team's data.
        """
        conversation_id = self.refuse_if_held(post_id)
        if conversation_id is None:
            raise UserError("this post is not in the team's queue (not synced by the hub)")
        try:
            self._call(lambda conn: claims.resolve(conn, conversation_id, self.agent))
        except TeamOffline:
            with self.store.transaction() as conn:
                team_cache.journal_add(conn, self.server_now(), self.agent, "resolve", conversation_id)
                ids = qq.conversation_post_ids(conn, [post_id])
                qq.set_status(conn, ids, Status.RESOLVED, at=self.clock())
            self.held.pop(conversation_id, None)
            return False
        self.held.pop(conversation_id, None)
        with self.store.transaction() as conn:
            qq.set_status(conn, qq.conversation_post_ids(conn, [post_id]), Status.RESOLVED, at=self.clock())
        return True

    def push_status(self, post_ids: list[int], status: str, snoozed_until: float | None = None) -> int:
        """Set the status of the posts' team conversations for the team, before the cache changes.

        Every conversation is checked against colleagues' claims first, so a bulk change either
        reaches them all or changes nothing. Unreachable: each waits in the journal.

        Returns:
            How many went to the journal (0: the team database took them all).

        Raises:
            ClaimConflict: a colleague holds one of them (nothing is changed).
        """
        if status not in TEAM_STATUSES:
            return 0  # closed: the cache's own end of a quiet conversation, not the team's
        conversations = list(dict.fromkeys(c for p in post_ids if (c := self.refuse_if_held(p)) is not None))
        action = f"{status}@{snoozed_until}" if status == "snoozed" else status
        journalled = 0
        for conversation_id in conversations:
            try:
                self._call(
                    partial(_set_status, conversation_id=conversation_id, agent=self.agent, action=action)
                )
            except TeamOffline:
                with self.store.transaction() as conn:
                    team_cache.journal_add(conn, self.server_now(), self.agent, action, conversation_id)
                journalled += 1
            if status == "resolved":
                self.held.pop(conversation_id, None)
        return journalled

    def replay(self) -> Replayed:
        """Replay the journal in order (after a reconnect and a read of the feed).

        An action whose conversation someone else changed or claimed meanwhile is not applied: the
        cache goes back to the team's state and the agent is told what happened instead.
        """
        applied = 0
        conflicts: list[str] = []
        for entry, agent, action, conversation_id in team_cache.journal_waiting(self.store.conn):
            if action in SHARED:  # a note, a tag or an assignment (services/team_share.py)
                line = self.replay_shared(entry)
                if line:
                    conflicts.append(line)
                elif line is not None:
                    applied += 1
                continue
            since = self._entry_at(entry)
            status, who = team_cache.changed_since(self.store.conn, conversation_id, since, agent)
            try:
                if who:
                    raise ClaimConflict(f"{who} set it to {status} while you were offline")
                self._call(partial(_set_status, conversation_id=conversation_id, agent=agent, action=action))
                applied += 1
                with self.store.transaction() as conn:
                    team_cache.journal_done(conn, entry, "done")
            except ClaimConflict as exc:
                what = action.partition("@")[0]
                line = f"Your offline {what} of conversation {conversation_id} was not applied: {exc}"
                conflicts.append(line)
                with self.store.transaction() as conn:
                    team_cache.journal_done(conn, entry, "conflict", line)
                    team_cache.reapply(conn, conversation_id)
        return Replayed(applied, tuple(conflicts))

    def _entry_at(self, entry: int) -> float:
        row = self.store.conn.execute("SELECT at FROM team_journal WHERE id = ?", (entry,)).fetchone()
        return float(row[0]) if row else 0.0

    def supervisor_view(self) -> SupervisorView:
        """The supervisor's figures as of now.

        Raises:
            NotAllowed: the agent is not a supervisor.
            TeamOffline: the team database cannot be reached.
        """
        from socialdesk.team.supervisor import supervisor_view

        return self._call(lambda conn: supervisor_view(conn, self.agent))

    # -- presence ---------------------------------------------------------------------------------------

    def present(self, conversation_id: int, activity: str) -> bool:
        """Say the agent is `viewing` or `typing` on a conversation (typing: at most every few seconds).

        Returns:
            Whether a row was written (False: a typing mark sent moments ago still stands).
        """
        now = self.clock()
        if activity == "typing":
            if now - self._typing_sent.get(conversation_id, float("-inf")) < TYPING_EVERY:
                return False
            self._typing_sent[conversation_id] = now
        seconds = TYPING_SECONDS if activity == "typing" else VIEWING_SECONDS
        from socialdesk.team import presence

        self._call(lambda conn: presence.mark(conn, self.agent, conversation_id, activity, seconds))
        return True

    def view(self, conversation_id: int | None) -> None:
        """The agent opened this conversation (None: none of the team's): the mark moves, once."""
        if conversation_id == self.viewing:
            return
        before, self.viewing = self.viewing, conversation_id
        if before is not None:
            self.leave(before)
        if conversation_id is not None:
            self.present(conversation_id, "viewing")
            self._viewing_sent = self.clock()

    def heartbeat(self) -> None:
        """Say again that the agent views their open conversation, when half its mark has passed.

        A typing mark stands until it fades; then the agent is viewing again, said at once.
        """
        if self.viewing is None:
            return
        now = self.clock()
        typed = self._typing_sent.get(self.viewing, float("-inf"))
        if now - typed < TYPING_SECONDS:
            return
        if typed > self._viewing_sent or now - self._viewing_sent >= VIEWING_SECONDS / 2:
            self._viewing_sent = now
            self.present(self.viewing, "viewing")

    def leave(self, conversation_id: int) -> None:
        """The agent no longer views the conversation (their mark ends now)."""
        from socialdesk.team import presence

        self._typing_sent.pop(conversation_id, None)
        self._call(lambda conn: presence.end(conn, self.agent, conversation_id))


def _renew(conn: psycopg.Connection, conversation_id: int, agent: str, lease: float) -> float | None:
    return claims.renew(conn, conversation_id, agent, lease)


def _set_status(conn: psycopg.Connection, conversation_id: int, agent: str, action: str) -> None:
    """Apply a journalled action: a status, `snoozed@UNTIL`, or resolve (which releases the claim)."""
    from socialdesk.team import conversations

    status, _, until = action.partition("@")
    if status in ("resolve", "resolved"):
        claims.resolve(conn, conversation_id, agent)
    else:
        conversations.set_status(conn, conversation_id, agent, status, float(until) if until else None)


def _why(exc: BaseException, url: str) -> str:
    from socialdesk.team.connect import describe

    return describe(exc, url)
