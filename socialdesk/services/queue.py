"""Working the queue: status, assignment, next/claim, saved queues, SLA clocks, notes, escalation.

Every change applies to the inbound posts of the conversation (same network and conversation id)
and is appended to the audit log with the agent and the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from socialdesk.errors import UserError
from socialdesk.models import Agent, PostRow, Status
from socialdesk.services.intents import INTENTS
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.query import QueryError, parse_query
from socialdesk.services.sentiment import SENTIMENT_LABELS
from socialdesk.services.sla_policy import DEFAULT_ROLES
from socialdesk.store import PostFilter, Store, replies
from socialdesk.store import queue_queries as qq
from socialdesk.store.queries import INBOUND, count, get_post

if TYPE_CHECKING:
    import sqlite3
    from typing import Protocol

    class TeamStatus(Protocol):
        """A team desk (services/team_desk.py), as far as the queue's shared actions go."""

        def push_status(self, post_ids: list[int], status: str, snoozed_until: float | None = None) -> int:
            """Set the status for the team first; raises ClaimConflict when a colleague holds one."""
            ...

        def push_assign(self, post_ids: Sequence[int], to: str) -> int:
            """Assign for the team first; raises ClaimConflict when a colleague holds one."""
            ...

        def push_tag(self, post_ids: Sequence[int], tag: str, remove: bool = False) -> int:
            """Add or remove a tag on the conversations for the team first."""
            ...

        def push_correction(self, post_id: int, sentiment_label: str | None, intent: str | None) -> bool:
            """Correct a post's triage for the team first (True: it waits in the journal)."""
            ...

        def keep_note(self, conn: sqlite3.Connection, post_id: int, note_id: int, text: str) -> int | None:
            """Journal a note in the cache's transaction that stores it; the entry to flush."""
            ...

        def flush(self, entry: int) -> bool:
            """Send a journalled note now (False: it waits for the team database)."""
            ...


ESCALATION_ROLES = DEFAULT_ROLES  # the playbook's [escalation] roles replace them
APPROVER_ROLE = "approver"


class SavedQueue(msgspec.Struct, frozen=True):
    """A named filter from the playbook's `[[queue]]` (name, number key 1-9, query)."""

    name: str
    key: int
    query: str

    def filter(self, agent: str, now: float | None = None) -> PostFilter:
        """The queue's query compiled for an agent (relative dates count back from `now`).

        Like the desk's first view and a search, a queue holds what customers wrote: "All" counted
        our own replies too, so its tab said 4016 over a feed of 3,000.
        """
        return INBOUND.and_(parse_query(self.query, agent=agent, now=now))


DEFAULT_QUEUES = (
    SavedQueue("Needs reply", 1, "is:open is:actionable"),
    SavedQueue("Negative", 2, "sentiment:negative is:open is:actionable"),
    SavedQueue("Questions", 3, "intent:question is:open is:actionable"),
    SavedQueue("Mine", 4, "assigned:me -status:resolved"),
    SavedQueue("Escalated", 5, "status:escalated"),
    SavedQueue("Snoozed", 6, "status:snoozed"),
    SavedQueue("All", 7, ""),
)


def load_queues(playbook: PlaybookFile | None) -> list[SavedQueue]:
    """The playbook's saved queues (the defaults when it defines none).

    Raises:
        UserError: naming the file and queue for a bad key, duplicate name/key or a query that fails.
    """
    raw = playbook.section("queue") if playbook is not None else None
    if not raw:
        return list(DEFAULT_QUEUES)
    source = playbook.source if playbook is not None else "playbook"
    if not isinstance(raw, list):
        raise UserError(f"{source}: queues must be written as [[queue]] tables")
    queues: list[SavedQueue] = []
    for index, table in enumerate(raw):
        where = f"{source}: queue[{index}]"
        if not isinstance(table, dict):
            raise UserError(f"{where} must be a table")
        unknown = set(table) - {"name", "key", "query"}
        if unknown:
            raise UserError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: name, key, query)")
        name, key, query = table.get("name"), table.get("key"), table.get("query", "")
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{where}.name must be a non-empty string")
        if not isinstance(key, int) or isinstance(key, bool) or not 1 <= key <= 9:
            raise UserError(f"{source}: queue {name!r}: key must be a number 1-9, got {key!r}")
        if not isinstance(query, str):
            raise UserError(f"{source}: queue {name!r}: query must be a string")
        try:
            parse_query(query, agent="agent")
        except QueryError as exc:
            raise UserError(f"{source}: queue {name!r}: query {query!r}: {exc}") from None
        if any(q.name == name or q.key == key for q in queues):
            raise UserError(f"{source}: queue {name!r}: its name or key {key} is used twice")
        queues.append(SavedQueue(name, key, query))
    return queues


class SlaClock(msgspec.Struct, frozen=True):
    """Time left to first response (negative: overdue by that much)."""

    seconds_left: float

    @property
    def overdue(self) -> bool:
        """The target has passed."""
        return self.seconds_left < 0

    @property
    def level(self) -> str:
        """ "overdue", "warning" (under 15 minutes left) or "ok", for colouring."""
        if self.overdue:
            return "overdue"
        return "warning" if self.seconds_left < 900 else "ok"

    def text(self) -> str:
        """Short text such as "12m left" or "3h overdue"."""
        s = abs(self.seconds_left)
        amount = (
            f"{int(s // 60)}m" if s < 3600 else f"{int(s // 3600)}h" if s < 86400 else f"{int(s // 86400)}d"
        )
        return f"{amount} overdue" if self.overdue else f"{amount} left"


def sla_clock(row: PostRow, now: float) -> SlaClock | None:
    """The SLA clock of a row (None when none runs: ours, not actionable, resolved or snoozed)."""
    left = row.sla_left(now)
    return SlaClock(left) if left is not None else None


_DURATION = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """Seconds in a span such as 30m, 2h, 1d or 1w.

    Raises:
        UserError: anything else.
    """
    value = text.strip().casefold()
    if len(value) < 2 or value[-1] not in _DURATION or not value[:-1].isdigit() or int(value[:-1]) == 0:
        raise UserError(f"a duration like 30m, 2h, 1d or 1w, not {text!r}")
    return int(value[:-1]) * _DURATION[value[-1]]


def needs_approval(conn: sqlite3.Connection, post_id: int) -> bool:
    """Whether a reply to this post needs an approver (its conversation is escalated)."""
    return qq.conversation_status(conn, post_id) == Status.ESCALATED


def cycle(current: str, values: Sequence[str]) -> str:
    """The value after `current` in `values`, wrapping (one-key corrections cycle through labels)."""
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


class QueueService:
    """The agent's actions on the queue; each runs in one transaction and is audited.

    Args:
        store: the cache.
        agent: the agent acting (from config).
        clock: current time (tests pass a fake).
    """

    def __init__(
        self,
        store: Store,
        agent: Agent,
        clock: Callable[[], float] = time.time,
        team: TeamStatus | None = None,
    ) -> None:
        self.store = store
        self.agent = agent
        self.clock = clock
        # A team desk's: status changes reach the team database (or its journal) before the cache.
        self.team = team

    # -- status and assignment -------------------------------------------------------------------

    def set_status(
        self, post_ids: Sequence[int], status: str, snoozed_until: float | None = None
    ) -> list[int]:
        """Set the status of the conversations of `post_ids`; returns every post changed."""
        if status not in Status.__members__.values():
            raise UserError(f"unknown status {status!r}")
        if status == Status.SNOOZED and snoozed_until is None:
            raise UserError("snoozing needs a time to wake up")
        if self.team is not None:
            self.team.push_status(list(post_ids), status, snoozed_until)  # refused if a colleague holds one
        with self.store.transaction() as conn:
            ids = qq.conversation_post_ids(conn, list(post_ids))
            if status != Status.CLOSED:  # closed posts are final; a later post of theirs is its own case
                ids = qq.without_closed(conn, ids)
                if not ids and post_ids:
                    raise UserError(
                        "that conversation is closed (resolved, then quiet): it stays closed, and the "
                        "customer's next post is handled on its own"
                    )
            qq.set_status(conn, ids, status, snoozed_until, at=self.clock())
            for post_id in post_ids:
                self.store.audit(
                    self.agent.name,
                    "status",
                    post_id,
                    status=status,
                    until=snoozed_until,
                    conversation_posts=len(ids),
                )
        return ids

    def resolve(self, post_ids: Sequence[int]) -> list[int]:
        """Resolve conversations."""
        return self.set_status(post_ids, Status.RESOLVED)

    def pending(self, post_ids: Sequence[int]) -> list[int]:
        """Mark conversations as waiting on the customer."""
        return self.set_status(post_ids, Status.PENDING)

    def reopen(self, post_ids: Sequence[int]) -> list[int]:
        """Open conversations again."""
        return self.set_status(post_ids, Status.OPEN)

    def snooze(self, post_ids: Sequence[int], seconds: float) -> list[int]:
        """Snooze conversations for `seconds` (they reopen on `wake_snoozed`)."""
        if seconds <= 0:
            raise UserError("snooze for a positive duration")
        return self.set_status(post_ids, Status.SNOOZED, self.clock() + seconds)

    def wake_snoozed(self) -> list[int]:
        """Reopen conversations whose snooze ended (call periodically); audited as the system."""
        with self.store.transaction() as conn:
            ids = qq.wake_snoozed(conn, self.clock())
            if ids:
                self.store.audit("system", "woke", None, posts=ids[:100], count=len(ids))
        return ids

    def assign(self, post_ids: Sequence[int], agent: str | None = None) -> list[int]:
        """Assign conversations to `agent` (default: the acting agent; "" unassigns)."""
        target = self.agent.name if agent is None else agent
        if self.team is not None:
            self.team.push_assign(list(post_ids), target)  # refused if a colleague holds one
        with self.store.transaction() as conn:
            ids = qq.conversation_post_ids(conn, list(post_ids))
            qq.set_assignee(conn, ids, target)
            for post_id in post_ids:
                self.store.audit(self.agent.name, "assign", post_id, to=target)
        return ids

    def claim_next(self, flt: PostFilter | None = None) -> PostRow | None:
        """Claim the highest-priority, oldest unassigned actionable open conversation (atomically).

        BEGIN IMMEDIATE takes the write lock before reading, so two agents never claim the same one.
        """
        with self.store.transaction() as conn:
            post_id = qq.first_claimable(conn, flt or PostFilter())
            if post_id is None:
                return None
            ids = qq.conversation_post_ids(conn, [post_id])
            qq.set_assignee(conn, ids, self.agent.name)
            qq.set_status(conn, ids, Status.OPEN)
            self.store.audit(self.agent.name, "claim", post_id, conversation_posts=len(ids))
            return get_post(conn, post_id)

    def resolve_and_next(self, post_id: int, flt: PostFilter | None = None) -> PostRow | None:
        """Resolve a conversation and claim the next one (one transaction)."""
        with self.store.transaction():
            self.resolve([post_id])
            return self.claim_next(flt)

    # -- tags, notes, escalation, corrections ------------------------------------------------------

    def tag(self, post_ids: Sequence[int], tag: str, remove: bool = False) -> None:
        """Add (or remove) a tag on the given posts."""
        tag = tag.strip()
        if not tag or any(c.isspace() for c in tag):
            raise UserError("a tag is one word without spaces")
        if self.team is not None:
            self.team.push_tag(list(post_ids), tag, remove)
        with self.store.transaction() as conn:
            ids = list(post_ids)
            if self.team is not None:  # the team's tags are its conversations', as the feed brings them
                ids = list(dict.fromkeys([*ids, *qq.conversation_post_ids(conn, ids)]))
            (qq.remove_tag if remove else qq.add_tag)(conn, ids, tag)
            for post_id in post_ids:
                self.store.audit(self.agent.name, "untag" if remove else "tag", post_id, tag=tag)

    def note(self, post_id: int, text: str) -> int:
        """Add an internal note (never sent) to a post's conversation; returns its id."""
        if not text.strip():
            raise UserError("the note is empty")
        with self.store.transaction() as conn:
            note_id, entry = self._keep_note(conn, post_id, text.strip())
            self.store.audit(self.agent.name, "note", post_id, note=note_id)
        self._flush(entry)
        return note_id

    def _keep_note(self, conn: sqlite3.Connection, post_id: int, text: str) -> tuple[int, int | None]:
        """Store a note; a team desk journals it in the same transaction (the entry to flush after it)."""
        note_id = qq.insert_note(conn, post_id, self.agent.name, text, self.clock())
        entry = self.team.keep_note(conn, post_id, note_id, text) if self.team is not None else None
        return note_id, entry

    def _flush(self, entry: int | None) -> None:
        """Send a journalled note once its transaction committed (offline, the journal sends it later)."""
        if self.team is not None and entry is not None:
            self.team.flush(entry)

    def notes(self, post_id: int) -> list[qq.Note]:
        """The notes on a post's conversation, oldest first."""
        return qq.notes_for(self.store.conn, post_id)

    def escalate(
        self, post_id: int, role: str, note: str, roles: Sequence[str] = ESCALATION_ROLES
    ) -> list[int]:
        """Escalate a conversation to a role (one of the playbook's `roles`) with a note.

        Replies to it then need approval.
        """
        if role not in roles:
            raise UserError(f"escalate to one of {', '.join(roles)}, not {role!r}")
        with self.store.transaction() as conn:
            ids = self.set_status([post_id], Status.ESCALATED)
            if self.team is not None:
                self.team.push_tag([post_id], f"escalated:{role}")
            qq.add_tag(conn, ids, f"escalated:{role}")
            note_id, entry = self._keep_note(conn, post_id, f"[escalated to {role}] {note.strip()}")
            self.store.audit(self.agent.name, "escalate", post_id, role=role, note=note_id)
        self._flush(entry)
        return ids

    def correct(self, post_id: int, sentiment_label: str | None = None, intent: str | None = None) -> None:
        """Correct a conversation's sentiment label and/or intent; the correction sticks across re-syncs."""
        if sentiment_label is not None and sentiment_label not in SENTIMENT_LABELS:
            raise UserError(f"unknown sentiment {sentiment_label!r}")
        if intent is not None and intent not in INTENTS:
            raise UserError(f"unknown intent {intent!r}")
        if self.team is not None:
            self.team.push_correction(post_id, sentiment_label, intent)
        with self.store.transaction() as conn:
            qq.set_correction(conn, [post_id], sentiment_label, intent)
            self.store.audit(self.agent.name, "correct", post_id, sentiment=sentiment_label, intent=intent)

    # -- reading -----------------------------------------------------------------------------------

    def page(self, flt: PostFilter, after: qq.QueueKey | None = None, limit: int = 100) -> qq.QueuePage:
        """One page of a filter in queue order (keyset)."""
        return qq.queue_page(self.store.conn, flt, after, limit)

    def counts(self, queues: Sequence[SavedQueue]) -> dict[str, int]:
        """Live counts of saved queues (indexed COUNTs)."""
        now = self.clock()
        return {q.name: count(self.store.conn, q.filter(self.agent.name, now)) for q in queues}

    def breaches(self, after: tuple[float, int] | None = None, limit: int = 50) -> tuple[list[PostRow], bool]:
        """Conversations past their first-response target, most overdue first."""
        return qq.breaches_page(self.store.conn, self.clock(), after, limit)

    def approvals(
        self, after_id: int | None = None, limit: int = 50
    ) -> tuple[list[replies.PendingApproval], bool]:
        """Replies waiting for an approver, oldest first."""
        return replies.awaiting_approval(self.store.conn, after_id, limit)

    def needs_approval(self, post_id: int) -> bool:
        """Whether a reply to this post needs an approver."""
        return needs_approval(self.store.conn, post_id)
