"""The outbox's state machine with an in-memory connector: undo, order, retries, reconciliation, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socialdesk.connectors.base import (
    AuthError,
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    PermanentError,
    RateLimited,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.errors import UserError
from socialdesk.models import Agent
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from socialdesk.store.queries import thread
from tests.outbox.helpers import Clock, make_store, post_id


class Memory(Connector):
    """Records what reached the 'network'; `failures` are raised by the next sends, in order."""

    name = "mastodon"
    display_name = "Mastodon"
    capabilities = Capabilities(max_length=500, counting="mastodon", can_reply=True, can_dm=True)

    def __init__(self) -> None:
        super().__init__("support")
        self.sent: list[OutgoingReply] = []
        self.failures: list[Exception] = []
        self.lookups = 0
        self.post_then_fail = False  # the next failure happens after the post was made

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], None)

    def send(self, reply: OutgoingReply) -> SendResult:
        if self.failures:
            error = self.failures.pop(0)
            if self.post_then_fail:
                self.sent.append(reply)
            raise error
        self.sent.append(reply)
        return SendResult(native_id=f"r{len(self.sent)}", url=f"https://m.example/r{len(self.sent)}")

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """What reached the 'network' is all there is: not there proves absence."""
        self.lookups += 1
        for index, sent in enumerate(self.sent, 1):
            if sent.idempotency_key == reply.idempotency_key:
                return SendResult(native_id=f"r{index}", url=f"https://m.example/r{index}")
        return None


class NoDm(Memory):
    """A network whose sent replies cannot be looked up."""

    name = "x"
    display_name = "X"
    capabilities = Capabilities(max_length=280, counting="x-weighted", can_reply=True, can_dm=False)
    find_sent = Connector.find_sent


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "t.db")


@pytest.fixture
def net() -> Memory:
    return Memory()


@pytest.fixture
def outbox(store: Store, net: Memory, clock: Clock) -> Outbox:
    return Outbox(store, lambda network, account: net, clock=clock, undo_seconds=10)


def test_reply_is_persisted_before_sending_and_waits_for_the_undo_window(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "We're on it", "ana")
    row = outbox.get(rid)
    assert row is not None and row.state == "queued" and len(row.idempotency_key) == 32
    assert row.send_after == clock.now + 10
    assert outbox.delivery.process_due(clock.advance(9)) == []
    assert net.sent == []
    events = outbox.delivery.process_due(clock.advance(2))
    assert [e.state for e in events] == ["sent"]
    assert [r.text for r in net.sent] == ["We're on it"]
    assert net.sent[0].idempotency_key == row.idempotency_key and net.sent[0].in_reply_to == "100"


def test_undo_inside_the_window_returns_the_text_and_nothing_is_sent(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "Oops, wrong customer", "ana")
    clock.advance(5)
    assert outbox.undo(rid) == "Oops, wrong customer"
    outbox.delivery.process_due(clock.advance(60))
    assert net.sent == [] and outbox.get(rid).state == "discarded"  # type: ignore[union-attr]


def test_undo_after_the_window_is_refused(outbox: Outbox, store: Store, clock: Clock) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "hello", "ana")
    clock.advance(10)
    assert outbox.undo(rid) is None
    assert outbox.get(rid).state == "queued"  # type: ignore[union-attr]


def test_sent_reply_appears_in_the_thread_and_sets_first_response(
    outbox: Outbox, store: Store, clock: Clock
) -> None:
    pid = post_id(store, "100")
    outbox.enqueue(pid, "Sorry about that!", "ana")
    outbox.delivery.process_due(clock.advance(11))
    conv = thread(store.conn, pid)
    assert conv is not None
    ours = [p for p in conv.replies if p.is_ours]
    assert [(p.text, p.in_reply_to, p.kind) for p in ours] == [("Sorry about that!", "100", "own")]
    first = store.conn.execute("SELECT first_response_at FROM posts WHERE id = ?", (pid,)).fetchone()[0]
    assert first == clock.now
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit ORDER BY id")]
    assert actions == ["reply.queued", "reply.sent"]


def test_order_per_account_is_kept_when_the_first_reply_must_wait(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    first, second = (outbox.enqueue(post_id(store, n), f"answer {n}", "ana")[0] for n in ("100", "101"))
    net.failures = [RateLimited(until=clock.now + 100)]
    events = outbox.delivery.process_due(clock.advance(11))
    assert [(e.reply_id, e.state) for e in events] == [(first, "waiting")]
    assert outbox.get(second).state == "queued"  # type: ignore[union-attr]  # held back, not overtaking
    assert outbox.delivery.process_due(clock.advance(50)) == []
    outbox.delivery.process_due(clock.advance(50))
    assert [r.text for r in net.sent] == ["answer 100", "answer 101"]


def test_offline_replies_queue_and_go_out_when_the_network_returns(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    ids = [outbox.enqueue(post_id(store, n), f"answer {n}", "ana")[0] for n in ("100", "101", "102")]
    net.failures = [TransientError("cannot connect")] * 3
    for _ in range(3):
        outbox.delivery.process_due(clock.advance(400))
    assert net.sent == [] and outbox.get(ids[0]).state == "waiting"  # type: ignore[union-attr]
    outbox.delivery.process_due(clock.advance(400))
    assert [r.text for r in net.sent] == ["answer 100", "answer 101", "answer 102"]


def test_uncertain_send_is_reconciled_and_resent_with_the_same_key(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "hello", "ana")
    net.failures = [SendUncertain("no answer after sending")]
    outbox.delivery.process_due(clock.advance(11))
    assert outbox.get(rid).state == "unknown"  # type: ignore[union-attr]
    outbox.delivery.process_due(clock.advance(31))
    assert outbox.get(rid).state == "sent"  # type: ignore[union-attr]
    assert net.sent[0].idempotency_key == outbox.get(rid).idempotency_key  # type: ignore[union-attr]


def test_unknown_reply_on_a_network_that_cannot_check_is_held_for_the_agent(
    tmp_path: Path, clock: Clock
) -> None:
    store = make_store(tmp_path / "x.db", network="x")
    net = NoDm()
    outbox = Outbox(store, lambda n, a: net, clock=clock, undo_seconds=0)
    first = outbox.enqueue(post_id(store, "100"), "hello", "ana")[0]
    second = outbox.enqueue(post_id(store, "101"), "next", "ana")[0]
    net.post_then_fail = True
    net.failures = [SendUncertain("read timeout")]
    (uncertain,) = outbox.delivery.process_due(clock.advance(1))
    assert uncertain.state == "unknown" and not uncertain.ask_agent  # the outbox checks again itself
    held = outbox.delivery.process_due(clock.advance(31))
    assert (held[0].reply_id, held[0].ask_agent) == (first, True)  # the desk asks the agent
    row = outbox.get(first)
    assert row is not None and row.state == "unknown" and "retry or discard" in row.error
    assert [r.text for r in net.sent] == ["hello", "next"]  # not resent; the queue moved on
    assert outbox.get(second).state == "sent"  # type: ignore[union-attr]
    outbox.discard(first, "ana")
    assert outbox.get(first).state == "discarded"  # type: ignore[union-attr]


def test_failure_message_is_sanitised_and_retry_sends_again(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "hello", "ana")
    net.failures = [PermanentError("422 \x1b[31mText\nis invalid\u202e")]
    outbox.delivery.process_due(clock.advance(11))
    row = outbox.get(rid)
    assert row is not None and row.state == "failed" and row.error == "422 Text is invalid"
    assert outbox.retry(rid, "ana") == 1
    outbox.delivery.process_due(clock.now)
    assert outbox.get(rid).state == "sent"  # type: ignore[union-attr]


def test_auth_failure_holds_the_account_until_retried(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    first, second = (outbox.enqueue(post_id(store, n), n, "ana")[0] for n in ("100", "101"))
    net.failures = [AuthError("401")]
    outbox.delivery.process_due(clock.advance(11))
    assert outbox.get(first).state == "needs_auth"  # type: ignore[union-attr]
    assert outbox.get(second).state == "queued"  # type: ignore[union-attr]
    outbox.retry(first, "ana")
    outbox.delivery.process_due(clock.now)
    assert [r.text for r in net.sent] == ["100", "101"]


def test_thread_parts_chain_each_to_the_previous(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    ids = outbox.enqueue(post_id(store, "100"), ["part one 1/3", "part two 2/3", "part three 3/3"], "ana")
    outbox.delivery.process_due(clock.advance(11))
    assert [(r.text, r.in_reply_to) for r in net.sent] == [
        ("part one 1/3", "100"),
        ("part two 2/3", "r1"),
        ("part three 3/3", "r2"),
    ]
    assert all(outbox.get(i).state == "sent" for i in ids)  # type: ignore[union-attr]


def test_undo_of_a_thread_takes_back_every_part(outbox: Outbox, store: Store) -> None:
    ids = outbox.enqueue(post_id(store, "100"), ["one 1/2", "two 2/2"], "ana")
    assert outbox.undo(ids[1]) == "one two"
    assert {outbox.get(i).state for i in ids} == {"discarded"}  # type: ignore[union-attr]


def test_escalated_reply_waits_for_an_approver(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "careful words", "ana", needs_approval=True)
    outbox.delivery.process_due(clock.advance(100))
    assert net.sent == [] and outbox.get(rid).state == "awaiting_approval"  # type: ignore[union-attr]
    with pytest.raises(UserError, match="approver role"):
        outbox.approve(rid, Agent("ana"))
    outbox.approve(rid, Agent("lead", roles=("agent", "approver")))
    outbox.delivery.process_due(clock.advance(11))
    row = outbox.get(rid)
    assert row is not None and row.state == "sent" and row.approved_by == "lead"


def test_take_private_sends_a_dm_then_a_public_note(
    outbox: Outbox, net: Memory, store: Store, clock: Clock
) -> None:
    dm, public = outbox.take_private(
        post_id(store, "100"), "Can you share your order number?", "Sent you a DM", "ana"
    )
    outbox.delivery.process_due(clock.advance(11))
    assert [(r.dm, r.to_handle, r.in_reply_to) for r in net.sent] == [
        (True, "user0@other.example", None),
        (False, "", "100"),
    ]
    assert outbox.get(dm).dm and not outbox.get(public).dm  # type: ignore[union-attr]
    detail = store.conn.execute("SELECT detail FROM audit WHERE action = 'reply.take_private'").fetchone()[0]
    assert json.loads(detail) == {"dm": dm, "public": public}


def test_take_private_says_when_the_network_has_no_dm(store: Store, clock: Clock) -> None:
    outbox = Outbox(store, lambda n, a: NoDm(), clock=clock)
    with pytest.raises(UserError, match="X has no direct messages"):
        outbox.take_private(post_id(store, "100"), "dm", "public", "ana")
    assert outbox.page()[0] == []


def test_recover_marks_interrupted_sends_unknown(outbox: Outbox, store: Store, clock: Clock) -> None:
    (rid,) = outbox.enqueue(post_id(store, "100"), "hello", "ana")
    store.conn.execute("UPDATE replies SET state = 'sending' WHERE id = ?", (rid,))
    assert outbox.delivery.recover() == 1
    assert outbox.get(rid).state == "unknown"  # type: ignore[union-attr]


def test_page_is_keyset_newest_first(outbox: Outbox, store: Store) -> None:
    ids = [outbox.enqueue(post_id(store, "100"), f"r{i}", "ana")[0] for i in range(5)]
    first, more = outbox.page(limit=2)
    assert [r.id for r in first] == ids[::-1][:2] and more
    rest, more = outbox.page(before_id=first[-1].id, limit=5)
    assert [r.id for r in rest] == ids[::-1][2:] and not more


def test_empty_reply_is_refused(outbox: Outbox, store: Store) -> None:
    with pytest.raises(UserError):
        outbox.enqueue(post_id(store, "100"), "   ", "ana")
