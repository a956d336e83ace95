"""Scheduled send: a reply queued for a time, cancellable until then, holding back no other reply."""

from __future__ import annotations

import json

from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from tests.outbox.helpers import Clock, post_id
from tests.outbox.test_outbox_states import Memory, clock, net, outbox, store  # noqa: F401 - fixtures

HOUR = 3600.0


def test_a_scheduled_reply_leaves_at_its_time_and_not_before(
    outbox: Outbox,  # noqa: F811
    net: Memory,  # noqa: F811
    store: Store,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    at = clock.now + 2 * HOUR
    (rid,) = outbox.enqueue(
        post_id(store, "100"), "Good morning! Your refund is on its way", "ana", send_at=at
    )
    row = outbox.get(rid)
    assert row is not None and row.state == "queued" and row.scheduled and row.send_after == at
    assert outbox.delivery.process_due(clock.advance(HOUR)) == [] and net.sent == []
    assert outbox.delivery.next_due() == at
    events = outbox.delivery.process_due(clock.advance(HOUR))
    assert [e.state for e in events] == ["sent"] and [r.text for r in net.sent] == [row.text]
    (detail,) = [
        json.loads(d) for (d,) in store.conn.execute("SELECT detail FROM audit WHERE action = 'reply.queued'")
    ]
    assert detail["send_at"] == at


def test_replies_queued_meanwhile_are_not_held_back_by_it(
    outbox: Outbox,  # noqa: F811
    net: Memory,  # noqa: F811
    store: Store,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    outbox.enqueue(post_id(store, "100"), "tomorrow morning", "ana", send_at=clock.now + 20 * HOUR)
    outbox.enqueue(post_id(store, "101"), "right now", "ana")  # same account, after its undo window
    outbox.delivery.process_due(clock.advance(11))
    assert [r.text for r in net.sent] == ["right now"]


def test_a_scheduled_reply_can_be_undone_or_discarded_until_it_leaves(
    outbox: Outbox,  # noqa: F811
    net: Memory,  # noqa: F811
    store: Store,  # noqa: F811
    clock: Clock,  # noqa: F811
) -> None:
    (first,) = outbox.enqueue(post_id(store, "100"), "first", "ana", send_at=clock.now + HOUR)
    (second,) = outbox.enqueue(post_id(store, "101"), "second", "ana", send_at=clock.now + HOUR)
    clock.advance(HOUR - 60)  # long past an undo window, still before its time
    assert outbox.undo(first) == "first"
    outbox.discard(second, "ana")
    outbox.delivery.process_due(clock.advance(HOUR))
    assert net.sent == []
    assert [outbox.get(i).state for i in (first, second)] == ["discarded", "discarded"]  # type: ignore[union-attr]
