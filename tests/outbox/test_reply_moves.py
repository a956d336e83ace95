"""A reply's state changes only along `store.reply_moves.MOVES`: illegal moves change nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from socialdesk.connectors.base import OutgoingReply, SendResult, TransientError
from socialdesk.models import ReplyState
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store, replies, reply_moves
from socialdesk.store.reply_moves import MOVES, IllegalMove
from tests.outbox.helpers import Clock, make_store, post_id
from tests.outbox.test_outbox_states import Memory

NOW = 1_700_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "cache.db")


def _reply(store: Store, state: ReplyState) -> replies.ReplyRow:
    """A reply forced into `state` (as if it had got there by its moves)."""
    with store.transaction() as conn:
        (reply_id,) = reply_moves.insert(
            conn,
            post_id(store, "100"),
            "mastodon",
            "support",
            ["hello"],
            [uuid.uuid4().hex],
            state=ReplyState.QUEUED,
            agent="ana",
            dm=False,
            group_key=None,
            send_after=NOW,
            now=NOW,
        )
        conn.execute("UPDATE replies SET state = ? WHERE id = ?", (state, reply_id))
    row = replies.get(store.conn, reply_id)
    assert row is not None
    return row


def _state(store: Store, reply_id: int) -> str:
    row = replies.get(store.conn, reply_id)
    assert row is not None
    return row.state


def test_every_state_has_its_moves_listed() -> None:
    """A new state cannot be added without saying where it may go."""
    assert set(MOVES) == set(ReplyState)
    assert MOVES[ReplyState.SENT] == frozenset()  # nothing leaves sent: never sent twice


def test_a_reply_is_written_only_in_an_initial_state(store: Store) -> None:
    with store.transaction() as conn, pytest.raises(IllegalMove):
        reply_moves.insert(
            conn,
            post_id(store, "100"),
            "mastodon",
            "support",
            ["hello"],
            ["key"],
            state=ReplyState.SENT,
            agent="ana",
            dm=False,
            group_key=None,
            send_after=None,
            now=NOW,
        )


@pytest.mark.parametrize("state", [ReplyState.SENT, ReplyState.SENDING, ReplyState.QUEUED])
def test_only_failed_waiting_unknown_or_needs_auth_replies_are_requeued(
    store: Store, state: ReplyState
) -> None:
    row = _reply(store, state)
    with store.transaction() as conn, pytest.raises(IllegalMove):
        reply_moves.requeue(conn, row, NOW)
    assert _state(store, row.id) == state


@pytest.mark.parametrize("state", [ReplyState.SENT, ReplyState.SENDING])
def test_sent_and_sending_replies_are_never_discarded(store: Store, state: ReplyState) -> None:
    row = _reply(store, state)
    with store.transaction() as conn:
        assert reply_moves.discard(conn, [row.id], NOW) == 0
    assert _state(store, row.id) == state


def test_a_claim_from_a_stale_read_claims_nothing(store: Store) -> None:
    """Read queued, but another worker has sent it since: the claim does not start a second send."""
    row = _reply(store, ReplyState.QUEUED)
    with store.transaction() as conn:
        conn.execute("UPDATE replies SET state = 'sent' WHERE id = ?", (row.id,))
        assert not reply_moves.claim(conn, row, NOW)
    assert _state(store, row.id) == "sent"


@pytest.mark.parametrize("to", [ReplyState.WAITING, ReplyState.FAILED, ReplyState.NEEDS_AUTH])
def test_a_sent_reply_is_not_settled_back_into_another_state(store: Store, to: ReplyState) -> None:
    row = _reply(store, ReplyState.SENT)
    with store.transaction() as conn:
        assert not reply_moves.settle(conn, row.id, to, NOW, "late error", NOW + 5)
    assert _state(store, row.id) == "sent"


def test_settle_never_records_a_send(store: Store) -> None:
    row = _reply(store, ReplyState.SENDING)
    with store.transaction() as conn, pytest.raises(IllegalMove):
        reply_moves.settle(conn, row.id, ReplyState.SENT, NOW, "", None)


def test_a_discarded_reply_is_never_marked_sent(store: Store) -> None:
    row = _reply(store, ReplyState.DISCARDED)
    with store.transaction() as conn:
        assert not reply_moves.mark_sent(conn, row, "r1", "https://m.example/r1", {}, NOW)
    assert _state(store, row.id) == "discarded"


def test_interrupted_turns_only_sending_replies_into_unknown(store: Store) -> None:
    sending, queued = _reply(store, ReplyState.SENDING), _reply(store, ReplyState.QUEUED)
    with store.transaction() as conn:
        assert reply_moves.interrupted(conn, NOW, "interrupted while sending") == 1
    assert (_state(store, sending.id), _state(store, queued.id)) == ("unknown", "queued")


class Raced(Memory):
    """While our request is out, another process recovers the reply, finds it posted and marks it sent;
    then our request reports a transient error."""

    def __init__(self, store: Store, clock: Clock) -> None:
        super().__init__()
        self.other = Outbox(store, lambda network, account: self, clock=clock, undo_seconds=0)
        self.raced = False

    def send(self, reply: OutgoingReply) -> SendResult:
        if self.raced:
            return super().send(reply)
        self.raced = True
        self.sent.append(reply)  # the post was made
        self.other.delivery.recover()  # the other process starts: our `sending` looks interrupted
        assert [e.state for e in self.other.delivery.process_due()] == ["sent"]  # found on the network
        raise TransientError("502 from the proxy")


def test_a_late_error_does_not_undo_a_send_another_process_recorded(store: Store) -> None:
    """Old behaviour: the late error turned the sent reply into `waiting`, and it was posted again."""
    clock = Clock()
    net = Raced(store, clock)
    outbox = Outbox(store, lambda network, account: net, clock=clock, undo_seconds=0)
    (reply_id,) = outbox.enqueue(post_id(store, "100"), "@user0@other.example hello", "ana")
    outbox.delivery.process_due(clock.advance(1))
    assert _state(store, reply_id) == "sent"
    outbox.delivery.process_due(clock.advance(600))
    assert len(net.sent) == 1


def test_delivery_is_due_by_the_state_s_own_clock(store: Store) -> None:
    """Queued: when its undo window ends; waiting: its next attempt; unknown without a time: held."""
    queued, waiting = _reply(store, ReplyState.QUEUED), _reply(store, ReplyState.WAITING)
    held, sending = _reply(store, ReplyState.UNKNOWN), _reply(store, ReplyState.SENDING)
    with store.transaction() as conn:
        conn.execute("UPDATE replies SET next_attempt_at = ? WHERE id = ?", (NOW - 5, waiting.id))
        conn.execute("UPDATE replies SET next_attempt_at = NULL WHERE id IN (?, ?)", (held.id, sending.id))
    due = {r.id: reply_moves.due_at(r) for r in replies.to_deliver(store.conn)}
    assert due == {queued.id: NOW, waiting.id: NOW - 5, held.id: None, sending.id: None}
    assert replies.next_due(store.conn) == NOW - 5
