"""The outbox with the real Bluesky connector against a fake PDS whose AppView indexes after a delay.

A numbered (split) reply chains each part to the part before it with the refs createRecord returned;
nothing is read back from the AppView, which has not indexed our parts yet. Under each fault (hitting
part 2) every part exists exactly once and the chain holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialdesk.connectors import http as connector_http
from socialdesk.models import ReplyState
from socialdesk.services import outbox as outbox_module
from socialdesk.services.delivery import RECONCILE_DELAY
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from socialdesk.testing import Loopback
from tests.connectors import faults
from tests.connectors.test_bluesky import FakeBluesky, make
from tests.outbox.helpers import Clock

PARTS = ["1/3 Sorry about the parcel.", "2/3 It left our depot on Monday.", "3/3 A refund is on its way."]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    monkeypatch.setattr(
        connector_http, "POLICY", connector_http.RetryPolicy(base_delay=0.0, sleep=lambda s: None)
    )
    with Loopback() as loopback:
        yield loopback


@pytest.fixture
def fake(server: Loopback) -> FakeBluesky:
    return FakeBluesky(server)


@pytest.mark.parametrize("fault", [faults.OK, *faults.FAULTS])
def test_a_split_reply_chains_every_part_to_the_one_before(
    tmp_path: Path, fake: FakeBluesky, server: Loopback, fault: str
) -> None:
    connector = make(server)
    root = fake.notify("@acme.bsky.social my parcel is lost")
    child = fake.notify("@acme.bsky.social still nothing", reply_to=root)
    store = Store(tmp_path / "b.db")
    store.upsert_posts(connector.fetch(None).posts)
    post = int(store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (child["uri"],)).fetchone()[0])
    clock = Clock(now=time.time())  # a 429's reset is real time
    outbox = Outbox(store, lambda network, account: connector, clock=clock, undo_seconds=0)
    ids = outbox.enqueue(post, PARTS, "ana", undo_seconds=0)
    fake.script.extend([faults.OK, fault])  # part 1 goes through; the fault hits part 2
    for _ in range(6):
        outbox.delivery.process_due()
        clock.advance(RECONCILE_DELAY + 1)
    rows = [outbox.get(i) for i in ids]
    assert [r.state for r in rows if r is not None] == [ReplyState.SENT] * 3
    assert [fake.copies(p) for p in PARTS] == [1, 1, 1]
    cids = {root["uri"]: root["cid"], child["uri"]: child["cid"], **fake.cids}
    parents = [child["uri"]] + [str(r.remote_id) for r in rows[:2] if r is not None]
    chained: list[Any] = [fake.records[str(r.remote_id)]["reply"] for r in rows if r is not None]
    ref = {"uri": root["uri"], "cid": root["cid"]}
    assert chained == [{"root": ref, "parent": {"uri": p, "cid": cids[p]}} for p in parents]


# Two idempotency keys whose TID clock ids (10 bits of their SHA-256) are equal: about 3 split
# replies in 1,000 draw such a pair, as every part carries the same created_at.
SAME_CLOCK_ID = ("0000000000000000000000000000000f", "0000000000000000000000000000002b")


def test_parts_whose_keys_share_a_clock_id_are_each_posted(
    tmp_path: Path, fake: FakeBluesky, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    connector = make(server)
    root = fake.notify("@acme.bsky.social my parcel is lost")
    store = Store(tmp_path / "b.db")
    store.upsert_posts(connector.fetch(None).posts)
    post = int(store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (root["uri"],)).fetchone()[0])
    keys = iter([*SAME_CLOCK_ID, "00000000000000000000000000000001", "the thread's group key"])
    monkeypatch.setattr(outbox_module, "new_key", lambda: next(keys))
    clock = Clock(now=time.time())
    outbox = Outbox(store, lambda network, account: connector, clock=clock, undo_seconds=0)
    outbox.enqueue(post, PARTS, "ana", undo_seconds=0)
    for _ in range(4):
        outbox.delivery.process_due()
        clock.advance(RECONCILE_DELAY + 1)
    assert [fake.copies(p) for p in PARTS] == [1, 1, 1]
