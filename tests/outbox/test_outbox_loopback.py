"""The outbox against a loopback Mastodon-shaped server that fails mid-send: exactly one post arrives."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from tests.outbox import fake_mastodon as fm
from tests.outbox.helpers import Clock, make_store, post_id


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())  # RateLimited.until comes from the server's headers in real time


def drive(outbox: Outbox, clock: Clock, reply_id: int, rounds: int = 12) -> list[str]:
    """Process the outbox a minute apart until the reply is sent; the states it went through."""
    seen = []
    for _ in range(rounds):
        for event in outbox.delivery.process_due(clock.advance(60)):
            seen.append(event.state)
        row = outbox.get(reply_id)
        assert row is not None
        if row.state == "sent":
            break
    return seen


@pytest.fixture
def mastodon() -> Iterator[fm.FakeMastodon]:
    fake = fm.FakeMastodon(honour_keys=True)
    fake.start()
    yield fake
    fake.stop()


def make_outbox(store: Store, fake: fm.FakeMastodon, clock: Clock) -> Outbox:
    return Outbox(
        store,
        lambda network, account: fm.mastodon_connector(fake.url, account=account),
        clock=clock,
        undo_seconds=0,
    )


@pytest.mark.parametrize(
    ("behaviour", "states"),
    [
        (fm.OK, ["sent"]),
        (fm.DROP_AFTER_CREATE, ["unknown", "sent"]),
        (fm.ERROR_AFTER_CREATE, ["unknown", "sent"]),
        (fm.DROP_BEFORE_CREATE, ["unknown", "sent"]),
        (fm.ERROR_BEFORE_CREATE, ["unknown", "sent"]),
        (fm.RATE_LIMITED, ["waiting", "sent"]),
    ],
)
def test_mastodon_failure_mid_send_posts_exactly_once(
    tmp_path: Path, mastodon: fm.FakeMastodon, clock: Clock, behaviour: str, states: list[str]
) -> None:
    store = make_store(tmp_path / "t.db")
    outbox = make_outbox(store, mastodon, clock)
    mastodon.script.append(behaviour)
    (rid,) = outbox.enqueue(post_id(store, "100"), "Sorry for the wait, @user0!", "ana")
    assert drive(outbox, clock, rid) == states
    assert mastodon.texts() == ["Sorry for the wait, @user0!"]
    row = outbox.get(rid)
    assert row is not None and row.remote_id == mastodon.statuses[0]["id"]
    outbox.close()


@pytest.mark.parametrize("behaviour", [fm.DROP_AFTER_CREATE, fm.ERROR_AFTER_CREATE, fm.DROP_BEFORE_CREATE])
def test_network_without_idempotency_keys_is_reconciled_by_looking(
    tmp_path: Path, clock: Clock, behaviour: str
) -> None:
    fake = fm.FakeMastodon(honour_keys=False)
    fake.start()
    store = make_store(tmp_path / "t.db", network="x")
    outbox = Outbox(store, lambda n, a: fm.LoopbackX(a, {"base_url": fake.url}), clock=clock, undo_seconds=0)
    fake.script.append(behaviour)
    (rid,) = outbox.enqueue(post_id(store, "100"), "We're looking into it", "ana")
    assert drive(outbox, clock, rid) == ["unknown", "sent"]
    assert fake.texts() == ["We're looking into it"]
    assert fake.posts_received == (2 if behaviour == fm.DROP_BEFORE_CREATE else 1)
    outbox.close()
    fake.stop()


def test_server_gone_then_back_sends_everything_once_in_order(
    tmp_path: Path, mastodon: fm.FakeMastodon, clock: Clock
) -> None:
    store = make_store(tmp_path / "t.db")
    where = {"url": mastodon.url}
    outbox = Outbox(
        store, lambda n, a: fm.mastodon_connector(where["url"], account=a), clock=clock, undo_seconds=0
    )
    ids = [outbox.enqueue(post_id(store, n), f"answer {n}", "ana")[0] for n in ("100", "101", "102")]
    mastodon.stop()
    assert [e.state for e in outbox.delivery.process_due(clock.advance(1))] == ["waiting"]
    outbox.close()  # the next connectors point at the restarted server
    where["url"] = mastodon.start().url
    for _ in range(5):
        outbox.delivery.process_due(clock.advance(300))
    assert mastodon.texts() == ["answer 100", "answer 101", "answer 102"]
    assert [outbox.get(i).state for i in ids] == ["sent"] * 3  # type: ignore[union-attr]
    outbox.close()


def test_thread_parts_reach_the_server_chained(
    tmp_path: Path, mastodon: fm.FakeMastodon, clock: Clock
) -> None:
    store = make_store(tmp_path / "t.db")
    outbox = make_outbox(store, mastodon, clock)
    mastodon.script.extend([fm.OK, fm.DROP_AFTER_CREATE])
    ids = outbox.enqueue(post_id(store, "100"), ["one 1/3", "two 2/3", "three 3/3"], "ana")
    drive(outbox, clock, ids[-1])
    assert mastodon.texts() == ["one 1/3", "two 2/3", "three 3/3"]
    parents = [s["in_reply_to_id"] for s in mastodon.statuses]
    assert parents == ["100", mastodon.statuses[0]["id"], mastodon.statuses[1]["id"]]
    outbox.close()


@pytest.mark.parametrize("behaviour", [fm.DROP_AFTER_CREATE, fm.ERROR_AFTER_CREATE, fm.RATE_LIMITED])
def test_real_mastodon_connector_posts_exactly_once(
    tmp_path: Path, mastodon: fm.FakeMastodon, clock: Clock, behaviour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.connectors import http
    from socialdesk.connectors.mastodon import MastodonConnector

    monkeypatch.setattr(http, "POLICY", http.RetryPolicy(tries=3, base_delay=0.0, sleep=lambda s: None))
    store = make_store(tmp_path / "t.db")
    outbox = Outbox(
        store,
        lambda n, a: MastodonConnector(a, {"base_url": mastodon.url}, "token"),
        clock=clock,
        undo_seconds=0,
    )
    mastodon.script.append(behaviour)
    (rid,) = outbox.enqueue(post_id(store, "100"), "Sorry for the wait!", "ana")
    drive(outbox, clock, rid)
    assert mastodon.texts() == ["Sorry for the wait!"]
    assert outbox.get(rid).state == "sent"  # type: ignore[union-attr]
    outbox.close()


@pytest.mark.parametrize("honour_keys", [True, False], ids=["mastodon", "gotosocial"])
def test_server_stalls_after_storing_the_reply_then_the_agent_retries_posted_once(
    tmp_path: Path, clock: Clock, honour_keys: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.connectors import http

    monkeypatch.setattr(http, "POLICY", http.RetryPolicy(tries=3, base_delay=0.0, sleep=lambda s: None))
    fake = fm.FakeMastodon(honour_keys=honour_keys)
    fake.start()
    store = make_store(tmp_path / "t.db")
    outbox = Outbox(
        store,
        lambda n, a: fm.mastodon_connector(fake.url, timeout=0.5, account=a),
        clock=clock,
        undo_seconds=0,
    )
    fake.script.append(fm.STALL_AFTER_CREATE)
    (rid,) = outbox.enqueue(
        post_id(store, "100"), "@user0@other.example Sorry for the wait, we are on it!", "ana"
    )
    assert [e.state for e in outbox.delivery.process_due(clock.advance(1))] == ["unknown"]
    assert fake.stalled.is_set()
    outbox.delivery.process_due(clock.advance(60))  # the lookup gets no answer from the paused server
    assert outbox.get(rid).state == "unknown"  # type: ignore[union-attr]
    outbox.retry(rid, "ana")  # the agent presses retry during the stall
    outbox.delivery.process_due(clock.advance(1))
    assert outbox.get(rid).state == "unknown"  # type: ignore[union-attr]
    fake.resume()
    assert fake.settle()
    outbox.delivery.process_due(clock.advance(60))
    row = outbox.get(rid)
    assert row is not None and row.state == "sent" and row.remote_id == fake.statuses[0]["id"]
    assert fake.texts() == ["@user0@other.example Sorry for the wait, we are on it!"]
    outbox.close()
    fake.stop()


def test_mastodon_busy_after_storing_the_reply_is_reconciled_not_raced(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Mastodon checks the Idempotency-Key before creating and stores it after: a repeat sent while
    # the first request is still busy creates a second status. Nothing may be repeated; look instead.
    from socialdesk.connectors import http

    monkeypatch.setattr(http, "POLICY", http.RetryPolicy(tries=3, base_delay=0.0, sleep=lambda s: None))
    fake = fm.FakeMastodon(honour_keys=True)
    fake.start()
    store = make_store(tmp_path / "t.db")
    outbox = Outbox(
        store,
        lambda n, a: fm.mastodon_connector(fake.url, timeout=0.5, account=a),
        clock=clock,
        undo_seconds=0,
    )
    fake.script.append(fm.SLOW_AFTER_CREATE)
    outbox.enqueue(post_id(store, "100"), "@user0@other.example Refund sent", "ana")
    assert [e.state for e in outbox.delivery.process_due(clock.advance(1))] == ["unknown"]
    assert [e.state for e in outbox.delivery.process_due(clock.advance(60))] == [
        "sent"
    ]  # found in the thread
    fake.resume()
    assert fake.settle()
    assert fake.texts() == ["@user0@other.example Refund sent"]
    outbox.close()
    fake.stop()
