"""The outbox with the real X connector against a fake that refuses and fails as X does.

Each test counts what matters: the replies we meant to send, the copies that exist on X afterwards,
and the ones lost. An uncertain X send (no idempotency key) is resent only after X showed every post
or DM since the attempt; a 403 about one reply refuses that reply and never freezes the account.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.connectors import http as connector_http
from socialdesk.connectors.x import XConnector
from socialdesk.models import ReplyState
from socialdesk.services.delivery import RECONCILE_DELAY
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from socialdesk.testing import Loopback, Reply
from tests.connectors import faults
from tests.connectors.fake_x import FakeX
from tests.connectors.test_x import make
from tests.outbox.helpers import Clock, make_store, post_id

TEXT = "Your refund is on its way"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    monkeypatch.setattr(
        connector_http, "POLICY", connector_http.RetryPolicy(base_delay=0.0, sleep=lambda s: None)
    )
    with Loopback() as loopback:
        yield loopback


@pytest.fixture
def fake(server: Loopback) -> FakeX:
    fake = FakeX(server)
    fake.dm_partner("a0")
    return fake


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "x.db", network="x", account="brand-x")


def outbox_for(store: Store, connector: XConnector, clock: Clock) -> Outbox:
    return Outbox(store, lambda network, account: connector, clock=clock, undo_seconds=0)


def drive(outbox: Outbox, clock: Clock, rounds: int = 6) -> None:
    """Run the outbox as its worker would, letting reconciliation delays pass."""
    for _ in range(rounds):
        outbox.delivery.process_due()
        clock.advance(RECONCILE_DELAY + 1)


def test_an_uncertain_dm_found_in_the_conversation_is_not_sent_again(
    fake: FakeX, server: Loopback, store: Store
) -> None:
    clock = Clock(now=time.time())
    outbox = outbox_for(store, make(server), clock)
    fake.script.append(faults.DROP_AFTER_CREATE)  # X stores the DM, the answer never arrives
    (reply,) = outbox.enqueue(post_id(store, "100"), TEXT, "ana", dm=True, undo_seconds=0)
    drive(outbox, clock)
    row = outbox.get(reply)
    assert row is not None and row.state == ReplyState.SENT
    assert fake.copies(TEXT) == 1 and row.remote_id == fake.dms[0]["id"]


def test_an_uncertain_dm_proved_absent_is_sent_once(fake: FakeX, server: Loopback, store: Store) -> None:
    clock = Clock(now=time.time())
    outbox = outbox_for(store, make(server), clock)
    server.fail_next(Reply(drop=True))  # the connection drops before X stores anything
    (reply,) = outbox.enqueue(post_id(store, "100"), TEXT, "ana", dm=True, undo_seconds=0)
    drive(outbox, clock)
    row = outbox.get(reply)
    assert row is not None and row.state == ReplyState.SENT and fake.copies(TEXT) == 1


def test_an_uncertain_dm_x_will_not_show_is_left_to_the_agent(
    fake: FakeX, server: Loopback, store: Store
) -> None:
    clock = Clock(now=time.time())
    outbox = outbox_for(store, make(server), clock)
    fake.dm_read = False  # the token lacks dm.read: X answers the lookup 403
    fake.script.append(faults.DROP_AFTER_CREATE)
    (reply,) = outbox.enqueue(post_id(store, "100"), TEXT, "ana", dm=True, undo_seconds=0)
    drive(outbox, clock)
    row = outbox.get(reply)
    assert row is not None and row.state == ReplyState.UNKNOWN and row.next_attempt_at is None
    assert "cannot be checked" in row.error or "look" in row.error
    assert fake.copies(TEXT) == 1  # never resent without proof of absence


def test_a_duplicate_content_refusal_fails_that_reply_and_the_next_one_goes(
    fake: FakeX, server: Loopback, store: Store
) -> None:
    clock = Clock()
    outbox = outbox_for(store, make(server), clock)
    first = outbox.enqueue(post_id(store, "100"), TEXT, "ana", undo_seconds=0)[0]
    again = outbox.enqueue(post_id(store, "101"), TEXT, "ana", undo_seconds=0)[0]
    other = outbox.enqueue(post_id(store, "102"), "Something else", "ana", undo_seconds=0)[0]
    drive(outbox, clock, rounds=2)
    states = {i: outbox.get(i) for i in (first, again, other)}
    assert states[first].state == ReplyState.SENT  # type: ignore[union-attr]
    refused = states[again]
    assert refused is not None and refused.state == ReplyState.FAILED
    assert "duplicate content" in refused.error and "auth" not in refused.error
    assert states[other].state == ReplyState.SENT  # type: ignore[union-attr]
    assert fake.copies(TEXT) == 1
