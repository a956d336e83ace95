"""A discarded reply can become its post's draft again (nothing the agent wrote is lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk.errors import UserError
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from tests.outbox.helpers import Clock, make_store, post_id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_store(tmp_path / "t.db")


@pytest.fixture
def outbox(store: Store) -> Outbox:
    return Outbox(store, lambda network, account: None, clock=Clock(), undo_seconds=10)  # type: ignore[arg-type,return-value]


def test_a_discarded_reply_becomes_the_draft_again(outbox: Outbox, store: Store) -> None:
    post = post_id(store, "100")
    (rid,) = outbox.enqueue(post, "Your refund left today", "ana")
    outbox.undo(rid)
    assert outbox.restore(rid, "ana") == (post, "Your refund left today")
    assert store.draft(post) == "Your refund left today"
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "reply.restored"


def test_restoring_keeps_what_was_written_since(outbox: Outbox, store: Store) -> None:
    post = post_id(store, "100")
    (rid,) = outbox.enqueue(post, "The long careful answer", "ana")
    outbox.undo(rid)
    store.save_draft(post, "u")  # typed into the composer that looked empty
    _, draft = outbox.restore(rid, "ana")
    assert draft == "u\n\nThe long careful answer" and store.draft(post) == draft


def test_a_thread_comes_back_whole_and_only_discarded_replies_restore(outbox: Outbox, store: Store) -> None:
    post = post_id(store, "100")
    ids = outbox.enqueue(post, ["first part 1/2", "second part 2/2"], "ana")
    with pytest.raises(UserError, match="only a discarded reply goes back"):
        outbox.restore(ids[0], "ana")
    outbox.undo(ids[0])
    assert outbox.restore(ids[1], "ana") == (post, "first part second part")
