"""A team desk's outbox: its replies handed to the team's shared outbox, which the hub sends.

A desk has no network tokens. A reply is written in the cache first, as on a solo desk, so it is
never lost offline; `hand_over` then puts it in the shared outbox with its undo window on the
server's clock, and from then on the team's row is the reply: the hub sends it once, a colleague's
desk shows it, and this desk's copy follows it through the change feed (store/team_replies.py).
Taking a reply back, approving, retrying and discarding a handed-over reply happen on the team's
row, whichever of them and the hub's claim commits first winning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

import msgspec

from socialdesk.models import ReplyState
from socialdesk.store import reply_moves, team_replies
from socialdesk.store.reply_moves import RETRYABLE, sources
from socialdesk.team import desk_outbox

if TYPE_CHECKING:
    from socialdesk.services.delivery import OutboxEvent
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.store.replies import ReplyRow

_log = logging.getLogger(__name__)
NOT_IN_TEAM = "the post is not in the team's data (the hub never stored it): this reply cannot be sent"
IDLE_WAIT = 5.0  # seconds between looks for replies to hand over when nothing woke the loop
HAND_OVER_PAGE = 50  # replies read from the cache per round (the lock is let go between rounds)


class HandedOver(msgspec.Struct, frozen=True):
    """What one hand-over round did: replies handed over, and those that cannot be (failed here)."""

    handed: int = 0
    failed: tuple[int, ...] = ()
    more: bool = False
    """The round took a full page: more may wait (a backlog written offline), so look again at once."""


class TeamOutbox:
    """Hands a team desk's replies over and carries out the agent's decisions on the team's rows.

    Args:
        desk: the team desk (its connection, agent and clock offset).
    """

    def __init__(self, desk: TeamDesk) -> None:
        self.desk = desk
        self.store = desk.store
        # One at a time: a hand-over and an undo of the same reply never interleave.
        self.lock = threading.RLock()
        self._wake = threading.Event()

    def wake(self) -> None:
        """A reply was written (or the desk is closing): hand over now rather than at the next look."""
        self._wake.set()

    def wait(self, timeout: float) -> None:
        """Until woken, or `timeout` s."""
        self._wake.wait(timeout)
        self._wake.clear()

    def hand_over(self) -> HandedOver:
        """Put every reply still only in the cache in the shared outbox, oldest first.

        Raises:
            TeamOffline: the team database cannot be reached (the replies wait here, untouched).
        """
        handed, failed = 0, []
        with self.lock:
            page = team_replies.waiting(self.store.conn, HAND_OVER_PAGE)
            for waiting in page:
                find = partial(desk_outbox.find_post, network=waiting.network, native_id=waiting.native_id)
                post = self.desk.call(find)
                if post is None:
                    failed += self._fail(waiting.parts)
                    continue
                parts = [self._part(row) for row in waiting.parts]
                agent = waiting.parts[0].agent
                ids = self.desk.call(partial(desk_outbox.hand_over, agent=agent, post=post, parts=parts))
                with self.store.transaction() as conn:
                    became = {r.id: t for r, t in zip(waiting.parts, ids, strict=True)}
                    undone = team_replies.handed_over(conn, became)
                if undone:  # taken back here by another process meanwhile: take it back there too
                    self.desk.call(partial(desk_outbox.undo, ids=ids, agent=agent))
                handed += 1
        return HandedOver(handed, tuple(failed), more=sum(len(w.parts) for w in page) >= HAND_OVER_PAGE)

    def _part(self, row: ReplyRow) -> dict[str, object]:
        send_after = None if row.send_after is None else row.send_after + self.desk.offset
        return {
            "text": row.text,
            "dm": row.dm,
            "state": row.state,
            "idempotency_key": row.idempotency_key,
            "group_key": row.group_key,
            "part": row.part,
            "parts": row.parts,
            "send_after": send_after,
            "scheduled": row.scheduled,
        }

    def _fail(self, rows: Sequence[ReplyRow]) -> list[int]:
        with self.store.transaction() as conn:
            for row in rows:
                reply_moves.settle(conn, row.id, ReplyState.FAILED, self.desk.clock(), NOT_IN_TEAM, None)
        return [row.id for row in rows]

    # -- the agent's decisions on handed-over replies ----------------------------------------------------
    # Each returns None when the reply was never handed over: the cache's outbox decides it alone.

    def undo(self, rows: Sequence[ReplyRow]) -> bool | None:
        """Take a handed-over reply back if still in its window; False: too late (the hub has it)."""
        ids = team_replies.team_ids(self.store.conn, [r.id for r in rows])
        if not ids:
            return None
        if not self.desk.call(partial(desk_outbox.undo, ids=list(ids.values()), agent=rows[0].agent)):
            return False
        self._follow_now(lambda conn, now: reply_moves.discard(conn, list(ids), now))
        return True

    def approve(self, rows: Sequence[ReplyRow], approver: str, undo_seconds: float) -> bool | None:
        """Release a handed-over reply held for approval (the team's roles decide who may)."""
        ids = team_replies.team_ids(self.store.conn, [r.id for r in rows])
        if not ids:
            return None
        from socialdesk.team.approvals import approve

        first = ids.get(rows[0].id, next(iter(ids.values())))
        self.desk.call(lambda conn: approve(conn, first, approver, undo_seconds))
        self._follow_now(
            lambda conn, now: reply_moves.release(conn, list(ids), approver, now + undo_seconds, now),
        )
        return True

    def retry(self, rows: Sequence[ReplyRow], agent: str) -> int | None:
        """Try handed-over replies again (the hub sends or checks them); how many moved."""
        ids = team_replies.team_ids(self.store.conn, [r.id for r in rows])
        if not ids:
            return None
        starts = [str(s) for s in RETRYABLE]
        return self.desk.call(partial(desk_outbox.retry, ids=list(ids.values()), agent=agent, starts=starts))

    def discard(self, rows: Sequence[ReplyRow], agent: str) -> bool | None:
        """Give up on handed-over replies not sent nor being sent."""
        ids = team_replies.team_ids(self.store.conn, [r.id for r in rows])
        if not ids:
            return None
        starts = [str(s) for s in sources(ReplyState.DISCARDED)]
        self.desk.call(partial(desk_outbox.discard, ids=list(ids.values()), agent=agent, starts=starts))
        self._follow_now(lambda conn, now: reply_moves.discard(conn, list(ids), now))
        return True

    def _follow_now(self, move: Callable[..., int]) -> None:
        """Apply to the cache's copy what the team's row just did (the feed brings the same moments later)."""
        with self.store.transaction() as conn:
            move(conn, self.desk.clock())


def events_of(moved: Sequence[team_replies.Moved], agent: str) -> list[OutboxEvent]:
    """The outbox events of `agent`'s replies among those the team's outbox moved (the desk reports them).

    An unknown reply with no time set to check it again is held for the agent, as on a solo desk.
    """
    from socialdesk.services.delivery import OutboxEvent

    return [
        OutboxEvent(m.reply_id, m.post_id, m.state, m.error, m.remote_url, ask_agent=m.held_for_agent)
        for m in moved
        if m.agent == agent and m.state != ReplyState.QUEUED
    ]


def run(outbox: TeamOutbox, stop: threading.Event, on_failed: Callable[[tuple[int, ...]], object]) -> None:
    """Hand replies over until `stop` is set: at once when woken, else every `IDLE_WAIT` s; offline, retry."""
    from socialdesk.services.team_desk import TeamOffline

    while not stop.is_set():
        try:
            done = outbox.hand_over()
            if done.failed:
                on_failed(done.failed)
            wait = 0.0 if done.more else IDLE_WAIT
        except TeamOffline:
            wait = 1.0
        except Exception:  # never let one bad round end the hand-overs for the rest of the shift
            _log.exception("handing replies to the team's outbox failed; trying again")
            wait = 0.0 if done.more else IDLE_WAIT
        outbox.wait(wait)
