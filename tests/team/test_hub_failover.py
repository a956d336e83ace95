"""Two `socialdesk hub` processes on one account: SIGKILL the leader mid-send, the standby takes over
within the lease, and no post is lost or stored twice, no reply sent twice (GoToSocial: no keys)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from socialdesk.secrets import SecretStore
from tests.team.hub_network import TOKEN, HubMastodon, queue_reply

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
LEASE = 3.0


@pytest.fixture
def fake() -> Iterator[HubMastodon]:
    server = HubMastodon(honour_keys=False)  # GoToSocial: a resend would be a second copy
    yield server
    server.stop()


def workspace(tmp_path: Path, team_db: str, fake: HubMastodon) -> dict[str, str]:
    """A config with the account and [team] url, its token in the 0600 secrets file; the environment."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SOCIALDESK_SECRETS": "file",
        "SOCIALDESK_DATA_DIR": str(tmp_path / "data"),
        "SOCIALDESK_CONFIG_DIR": str(tmp_path / "config"),
        "SOCIALDESK_STATE_DIR": str(tmp_path / "state"),
    }
    (tmp_path / "config.toml").write_text(
        f'[desk]\nagent = "hub"\nsync_interval = 0.5\n\n[team]\nurl = "{team_db}"\n\n'
        f'[[accounts]]\nname = "support"\nconnector = "mastodon"\nbase_url = "{fake.url}"\n',
        encoding="utf-8",
    )
    SecretStore("file", path=tmp_path / "data" / "secrets.json").set("support", TOKEN)
    return env


def start_hub(tmp_path: Path, env: dict[str, str], name: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "socialdesk", "--config", str(tmp_path / "config.toml"), "hub"]
    options = ["--name", name, "--lease", str(LEASE), "--poll", "0.2", "--reconcile-delay", "2"]
    options += ["--cache", str(tmp_path / f"{name}.db")]
    return subprocess.Popen(
        command + options, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def until(
    conn: psycopg.Connection, check: Callable[[], bool], why: Callable[[], str], timeout: float = 60
) -> None:
    """Wait on the database (polling it on the server's clock) until `check` holds."""
    deadline = conn.execute("SELECT team_now() + %s", (timeout,)).fetchone()[0]  # type: ignore[index]
    while not check():
        if conn.execute("SELECT team_now() > %s", (deadline,)).fetchone()[0]:  # type: ignore[index]
            raise AssertionError(f"not reached within {timeout} s: {why()}")
        conn.execute("SELECT pg_sleep(0.02)")


def one(conn: psycopg.Connection, sql: str) -> object:
    return conn.execute(sql).fetchone()[0]  # type: ignore[index]


def test_the_standby_takes_over_a_killed_leader_within_the_lease(
    fake: HubMastodon, team_db: str, tmp_path: Path
) -> None:
    env = workspace(tmp_path, team_db, fake)
    mentions = [fake.mention(n + 1) for n in range(3)]
    hubs: dict[str, subprocess.Popen[str]] = {}
    db = psycopg.connect(team_db, autocommit=True)

    def said() -> str:
        return " | ".join(f"{name} exit {p.poll()}" for name, p in hubs.items())

    try:
        hubs["hub-a"] = start_hub(tmp_path, env, "hub-a")
        until(db, lambda: one(db, "SELECT count(*) FROM posts") == 3, said)
        assert one(db, "SELECT holder FROM hub_leases WHERE account = 'support'") == "hub-a"
        hubs["hub-b"] = start_hub(tmp_path, env, "hub-b")
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        sessions = f"SELECT count(*) FROM pg_stat_activity WHERE {others}"
        until(db, lambda: one(db, sessions) == 4, said)  # the standby is up (its two sessions)

        fake.sender.holds.append("after")  # the first reply is created; its answer is held ...
        for i, m in enumerate(mentions):
            queue_reply(db, m["id"], f"answer {i}")
        assert fake.sender.held.wait(60), said()
        killed_at = one(db, "SELECT team_now()")
        hubs["hub-a"].send_signal(signal.SIGKILL)  # ... and the leader is killed
        hubs["hub-a"].wait(10)

        until(db, lambda: one(db, "SELECT holder FROM hub_leases WHERE account = 'support'") == "hub-b", said)
        took = one(db, "SELECT acquired_at FROM hub_leases WHERE account = 'support'")
        assert float(took) - float(killed_at) < LEASE  # type: ignore[arg-type]
        fake.sender.release()
        assert fake.sender.settle()
        states = "SELECT array_agg(state ORDER BY id) FROM replies"
        until(db, lambda: one(db, states) == ["sent"] * 3, lambda: f"{one(db, states)} {said()}")
        fake.mention(4)  # the new leader syncs too
        until(db, lambda: one(db, "SELECT count(*) FROM posts WHERE NOT is_ours") == 4, said)

        hubs["hub-b"].send_signal(signal.SIGTERM)  # a clean stop gives the lead up at once
        out, _ = hubs["hub-b"].communicate(timeout=30)
        assert hubs["hub-b"].returncode == 0, out
        assert "hub hub-b: leading support (epoch 2)" in out and out.endswith("hub hub-b: stopped\n")
    finally:
        for process in hubs.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert fake.texts() == ["answer 0", "answer 1", "answer 2"]  # each reply once
    assert (
        one(db, "SELECT count(*) FROM posts") == one(db, "SELECT count(DISTINCT native_id) FROM posts") == 7
    )
    assert one(db, "SELECT count(*) FROM audit WHERE action = 'reply.reconciled'") == 1
    assert one(db, "SELECT lease_until <= team_now() FROM hub_leases WHERE account = 'support'")
    db.close()


def test_a_frozen_leader_is_replaced_once_its_lease_ends_and_fenced_when_it_wakes(
    fake: HubMastodon, team_db: str, tmp_path: Path
) -> None:
    env = workspace(tmp_path, team_db, fake)
    mentions = [fake.mention(n + 1) for n in range(3)]
    hubs: dict[str, subprocess.Popen[str]] = {}
    db = psycopg.connect(team_db, autocommit=True)

    def said() -> str:
        return " | ".join(f"{name} exit {p.poll()}" for name, p in hubs.items())

    holder = "SELECT holder FROM hub_leases WHERE account = 'support'"
    try:
        hubs["hub-a"] = start_hub(tmp_path, env, "hub-a")
        until(db, lambda: one(db, "SELECT count(*) FROM posts") == 3, said)
        hubs["hub-b"] = start_hub(tmp_path, env, "hub-b")
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        until(db, lambda: one(db, f"SELECT count(*) FROM pg_stat_activity WHERE {others}") == 4, said)
        fake.sender.holds.append("after")
        for i, m in enumerate(mentions):
            queue_reply(db, m["id"], f"answer {i}")
        assert fake.sender.held.wait(60), said()
        hubs["hub-a"].send_signal(signal.SIGSTOP)  # frozen mid-send: its sessions stay open
        lease_end = one(db, "SELECT lease_until FROM hub_leases WHERE account = 'support'")
        until(db, lambda: one(db, holder) == "hub-b", said)
        took = one(db, "SELECT acquired_at FROM hub_leases WHERE account = 'support'")
        assert float(took) >= float(lease_end)  # type: ignore[arg-type]  # not before its lease ended
        fake.sender.release()
        assert fake.sender.settle()
        states = "SELECT array_agg(state ORDER BY id) FROM replies"
        until(db, lambda: one(db, states) == ["sent"] * 3, lambda: f"{one(db, states)} {said()}")
        hubs["hub-a"].send_signal(signal.SIGCONT)  # it wakes: its answer arrives, its writes are refused
        until(db, lambda: one(db, f"SELECT count(*) FROM pg_stat_activity WHERE {others}") >= 3, said)
        fake.mention(4)
        until(db, lambda: one(db, "SELECT count(*) FROM posts WHERE NOT is_ours") == 4, said)
        assert one(db, holder) == "hub-b"  # the woken hub did not take the lead back
        outputs = {}
        for name, process in hubs.items():  # the old leader first: hub-b's release would free the lead
            process.send_signal(signal.SIGTERM)
            outputs[name] = process.communicate(timeout=30)[0]
    finally:
        for process in hubs.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
                process.wait(10)
    assert fake.texts() == ["answer 0", "answer 1", "answer 2"]
    assert "no longer leads support" in outputs["hub-a"] or "connection lost" in outputs["hub-a"]
    assert (
        one(db, "SELECT count(*) FROM posts") == one(db, "SELECT count(DISTINCT native_id) FROM posts") == 7
    )
    db.close()
