"""Kill the outbox process mid-send, restart it: no reply lost, none posted twice, order kept."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from tests.outbox import fake_mastodon as fm
from tests.outbox.helpers import make_store, post_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mastodon() -> Iterator[fm.FakeMastodon]:
    fake = fm.FakeMastodon(honour_keys=True)
    fake.start()
    yield fake
    fake.stop()


def start_worker(db: Path, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outbox.run_outbox", str(db), url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def queue_replies(store: Store, count: int) -> list[int]:
    outbox = Outbox(store, lambda n, a: None, undo_seconds=0)  # type: ignore[arg-type,return-value]
    return [outbox.enqueue(post_id(store, str(100 + i % 3)), f"answer {i}", "ana")[0] for i in range(count)]


def states(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT state FROM replies ORDER BY id")]


def test_kill_while_the_server_holds_the_post_then_restart(tmp_path: Path, mastodon: fm.FakeMastodon) -> None:
    db = tmp_path / "t.db"
    store = make_store(db)
    queue_replies(store, 3)
    mastodon.script.append(fm.HANG_AFTER_CREATE)  # the first post is created, the answer never comes
    worker = start_worker(db, mastodon.url)
    try:
        assert mastodon.created.wait(30), worker.stderr.read() if worker.stderr else ""
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    assert states(store) == ["sending", "queued", "queued"]  # the evidence a crash leaves
    assert mastodon.texts() == ["answer 0"]

    restarted = start_worker(db, mastodon.url)
    _, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err.decode()
    assert mastodon.texts() == ["answer 0", "answer 1", "answer 2"]
    assert states(store) == ["sent", "sent", "sent"]
    own = store.conn.execute("SELECT COUNT(*) FROM posts WHERE is_ours = 1").fetchone()[0]
    assert own == 3
    recovered = store.conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'reply.recovered'").fetchone()[
        0
    ]
    assert recovered == 1


def test_killed_at_random_moments_every_reply_arrives_exactly_once(
    tmp_path: Path, mastodon: fm.FakeMastodon
) -> None:
    # Each kill lands on an event, not a timer: the server holds a request it has just received
    # (nothing created yet) or has just stored (no answer yet) until the sender is dead.
    db = tmp_path / "t.db"
    store = make_store(db)
    count = 12
    queue_replies(store, count)
    rng = random.Random(4)
    kills = 0
    for _ in range(6):
        mastodon.holds.append(rng.choice(["before", "after"]))
        worker = start_worker(db, mastodon.url)
        try:
            assert mastodon.held.wait(60), worker.stderr.read() if worker.stderr else ""
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        kills += 1
        mastodon.holds.clear()
        mastodon.release()
        assert mastodon.settle()
    final = start_worker(db, mastodon.url)
    _, err = final.communicate(timeout=60)
    assert final.returncode == 0, err.decode()
    recovered = store.conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'reply.recovered'").fetchone()[
        0
    ]
    assert kills == 6 and recovered == 6  # every kill left a reply in "sending"
    assert mastodon.texts() == [f"answer {i}" for i in range(count)]
    assert states(store) == ["sent"] * count
