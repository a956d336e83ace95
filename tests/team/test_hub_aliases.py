"""One status two of our accounts see (on two Mastodon servers) is one team post, whichever hub leads:
the aliases the killed leader learnt are the team's, not its cache's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from socialdesk.secrets import SecretStore
from socialdesk.testing import SECRET, Loopback
from tests.connectors.fake_mastodon_fetch import FakeMastodonFetch, account
from tests.team.test_hub_failover import LEASE, one, until

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
SALES_ME = {"id": "7", "username": "sales", "acct": "sales", "display_name": "Acme Sales"}


@pytest.fixture
def servers() -> Iterator[tuple[FakeMastodonFetch, FakeMastodonFetch]]:
    """Our support account on one server and our sales account on another (its own ids)."""
    with Loopback() as one_server, Loopback() as other:
        now = time.time()
        support = FakeMastodonFetch(one_server, now)
        sales = FakeMastodonFetch(other, now, me={**SALES_ME, "url": f"{other.url}/@sales"})
        sales._next += 40_000  # another server's ids: the same status gets a different one there
        yield support, sales


def workspace(
    tmp_path: Path, team_db: str, support: FakeMastodonFetch, sales: FakeMastodonFetch
) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOCIALDESK_SECRETS": "file",
        "SOCIALDESK_DATA_DIR": str(tmp_path / "data"),
        "SOCIALDESK_CONFIG_DIR": str(tmp_path / "config"),
        "SOCIALDESK_STATE_DIR": str(tmp_path / "state"),
    }
    accounts = "".join(
        f'[[accounts]]\nname = "{name}"\nconnector = "mastodon"\nbase_url = "{fake.server.url}"\n\n'
        for name, fake in (("support", support), ("sales", sales))
    )
    (tmp_path / "config.toml").write_text(
        f'[desk]\nagent = "hub"\nsync_interval = 0.3\n\n[team]\nurl = "{team_db}"\n\n{accounts}',
        encoding="utf-8",
    )
    secrets = SecretStore("file", path=tmp_path / "data" / "secrets.json")
    for name in ("support", "sales"):
        secrets.set(name, SECRET)
    return env


def start_hub(tmp_path: Path, env: dict[str, str], name: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "socialdesk", "--config", str(tmp_path / "config.toml"), "hub"]
    options = [
        "--name",
        name,
        "--lease",
        str(LEASE),
        "--poll",
        "0.2",
        "--cache",
        str(tmp_path / f"{name}.db"),
    ]
    return subprocess.Popen(
        command + options, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def posts_like(db: psycopg.Connection, text: str) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT native_id, account, in_reply_to, thread_id, conversation_id FROM posts WHERE text LIKE %s "
        "ORDER BY id",
        (f"%{text}%",),
    ).fetchall()


@pytest.mark.parametrize("seen", ["after the failover", "by the killed leader"])
def test_a_status_the_second_account_sees_is_one_post_across_a_failover(
    seen: str, servers: tuple[FakeMastodonFetch, FakeMastodonFetch], team_db: str, tmp_path: Path
) -> None:
    """The copy reaches sales' server after the kill (the new leader's cache never saw the status),
    or before it (the killed leader's cache folded it in): either way one post, and a follow-up only
    sales sees, answering sales' id, joins the team's post and conversation."""
    support, sales = servers
    env = workspace(tmp_path, team_db, support, sales)
    status = support.post(account(1), "my refund, again")
    hubs: dict[str, subprocess.Popen[str]] = {}
    db = psycopg.connect(team_db, autocommit=True)

    def said() -> str:
        return " | ".join(f"{name} exit {p.poll()}" for name, p in hubs.items())

    leaders = "SELECT array_agg(holder ORDER BY account) FROM hub_leases"
    try:
        hubs["hub-a"] = start_hub(tmp_path, env, "hub-a")
        # hub-a leads both accounts and has synced each (the status through support only)
        until(
            db,
            lambda: one(db, "SELECT count(*) FROM cursors") == 2 and len(posts_like(db, "refund")) == 1,
            said,
        )
        assert one(db, leaders) == ["hub-a", "hub-a"]
        if seen == "by the killed leader":
            cursor = "SELECT cursor FROM cursors WHERE source = 'sales'"
            before = one(db, cursor)
            copy = sales.federate(status)
            until(db, lambda: one(db, cursor) != before, said)  # hub-a synced sales' copy
            assert len(posts_like(db, "refund")) == 1
        hubs["hub-b"] = start_hub(tmp_path, env, "hub-b")
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        until(db, lambda: one(db, f"SELECT count(*) FROM pg_stat_activity WHERE {others}") == 4, said)
        hubs["hub-a"].send_signal(signal.SIGKILL)
        hubs["hub-a"].wait(10)
        until(db, lambda: one(db, leaders) == ["hub-b", "hub-b"], said)

        if seen == "after the failover":  # only now does the status reach sales' server (its own id)
            copy = sales.federate(status)
        follow_up = dict(
            support.post(account(1), "hello?? anyone", mentions_us=False), uri="https://o.example/2"
        )
        sales.federate(follow_up, reply_to=copy["id"])
        until(db, lambda: len(posts_like(db, "hello?? anyone")) == 1, said)
    finally:
        for process in hubs.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    [(native_id, account_, _, thread, conversation)] = posts_like(db, "my refund, again")
    assert (native_id, account_) == (status["id"], "support")  # stored once, under the first account
    [(_, by, in_reply_to, follow_thread, follow_conversation)] = posts_like(db, "hello?? anyone")
    assert by == "sales" and in_reply_to == status["id"]  # the team's id, not sales' own
    assert (follow_thread, follow_conversation) == (thread or native_id, conversation)
    assert one(db, "SELECT count(*) FROM conversations") == 1
    db.close()
