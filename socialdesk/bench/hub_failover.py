"""`socialdesk bench --team`: hub failover: SIGKILL the leading `socialdesk hub` while posts arrive.

Two real hub processes follow one account (a JSONL file another thread appends to at a steady
rate) on a scratch database; the leader is killed, the standby must lead within the lease, the
killed one comes back as the next standby, and so on. Afterwards every post written must be in
PostgreSQL exactly once: the figures are the time from the kill to the next leader's lease (on the
server's clock) and the posts lost or stored twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from socialdesk.team.connect import connect, connect_params
from socialdesk.team.migrate import migrate

LEASE = 15.0  # the hub's default
RATE = 50.0  # posts per second arriving (the load)


def _one(conn: Any, sql: str, *params: object) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _until(conn: Any, check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll the database (on the server's clock) until `check` holds; RuntimeError after `timeout`."""
    deadline = _one(conn, "SELECT team_now() + %s", timeout)
    while not check():
        if _one(conn, "SELECT team_now() > %s", deadline):
            raise RuntimeError(f"hub failover: {what} not within {timeout:g} s")
        conn.execute("SELECT pg_sleep(0.02)")


class _Writer(threading.Thread):
    """Appends posts to the account's JSONL file at `RATE` per second until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.written, self.stop = path, 0, threading.Event()

    def run(self) -> None:
        began = time.monotonic()
        with self.path.open("a", encoding="utf-8") as out:
            while not self.stop.is_set():
                due = int((time.monotonic() - began) * RATE) + 1
                while self.written < due:
                    self.written += 1
                    n = self.written
                    line = {"network": "bench", "id": f"p{n}", "author": {"handle": f"c{n % 97}"},
                            "text": f"order {n} is late", "created_at": time.time()}  # fmt: skip
                    out.write(json.dumps(line) + "\n")
                out.flush()
                self.stop.wait(0.02)


def _hub_env(workdir: Path, url: str) -> dict[str, str]:
    """The hubs' environment: their own empty directories and secret file, and the bench's password."""
    env = {**os.environ, "SOCIALDESK_SECRETS": "file"}
    env.update(
        {f"SOCIALDESK_{kind}_DIR": str(workdir / kind.lower()) for kind in ("DATA", "CONFIG", "STATE")}
    )
    password = connect_params(url).get("password")  # the keyring's or a file's: never on a command line
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return env


def _hub(workdir: Path, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "socialdesk", "--config", str(workdir / "config.toml"), "hub"]
    command += ["--name", name, "--lease", str(LEASE), "--cache", str(workdir / f"{name}.db")]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_HOLDER = "SELECT holder FROM hub_leases WHERE account = 'feed'"


def _kill_leader(
    conn: Any, hubs: dict[str, subprocess.Popen[bytes]], workdir: Path, env: dict[str, str]
) -> tuple[str, float]:
    """SIGKILL the leading hub once it has synced, wait for the next leader, restart the killed one as
    the standby; (who was killed, seconds from the kill to the next leader's lease)."""
    _until(conn, lambda: _one(conn, _HOLDER) is not None, 120, "a leader")
    holder = str(_one(conn, _HOLDER))
    stored = _one(conn, "SELECT count(*) FROM posts")
    _until(conn, lambda: _one(conn, "SELECT count(*) FROM posts") > stored, 60, "a sync")
    killed_at = _one(conn, "SELECT team_now()")
    hubs[holder].send_signal(signal.SIGKILL)
    hubs[holder].wait(30)
    _until(conn, lambda: _one(conn, _HOLDER) != holder, LEASE * 4, "a new leader")
    taken = _one(conn, "SELECT acquired_at FROM hub_leases WHERE account = 'feed'")
    hubs[holder] = _hub(workdir, holder, env)  # it comes back as the standby
    _until(conn, lambda: _one(conn, _SESSIONS) >= 4, 120, "the standby back")
    return holder, float(taken) - float(killed_at)


def failover(url: str, kills: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Kill the leading hub `kills` times while posts arrive; the takeover times and the post counts.

    Args:
        url: an empty database (the team schema is created in it).
    """
    with tempfile.TemporaryDirectory(prefix="socialdesk-hub-bench-") as tmp:
        workdir = Path(tmp)
        feed = workdir / "feed.jsonl"
        feed.touch()
        (workdir / "config.toml").write_text(
            f'[desk]\nagent = "hub"\nsync_interval = 0.2\n\n[team]\nurl = "{url}"\n\n'
            f'[[accounts]]\nname = "feed"\nconnector = "jsonl"\npath = "{feed}"\n',
            encoding="utf-8",
        )
        takeovers: list[float] = []
        with connect(url) as conn:
            migrate(conn)
            writer = _Writer(feed)
            env = _hub_env(workdir, url)
            hubs = {name: _hub(workdir, name, env) for name in ("hub-1", "hub-2")}
            try:
                _until(conn, lambda: _one(conn, _SESSIONS) >= 4, 120, "two hubs up")
                writer.start()
                for _ in range(kills):
                    killed, seconds = _kill_leader(conn, hubs, workdir, env)
                    takeovers.append(seconds)
                    say(f"  killed {killed}: next leader after {seconds * 1000:,.0f} ms")
                writer.stop.set()
                writer.join()
                total = writer.written
                with contextlib.suppress(RuntimeError):  # a lost post never comes: the count says so
                    _until(conn, lambda: _one(conn, "SELECT count(*) FROM posts") >= total, 60, "")
            finally:
                writer.stop.set()
                for process in hubs.values():
                    process.kill()
                    process.wait(30)
            stored = int(_one(conn, "SELECT count(*) FROM posts"))
            distinct = int(_one(conn, "SELECT count(DISTINCT native_id) FROM posts"))
        return {
            "kills": kills,
            "takeover_ms": [t * 1000 for t in takeovers],
            "lease_s": LEASE,
            "written": total,
            "lost": total - distinct,
            "duplicated": stored - distinct,
        }


def measure(admin_url: str, kills: int, say: Callable[[str], None]) -> dict[str, Any]:
    """`failover` on a scratch database of the server of `admin_url`."""
    from socialdesk.bench.team import scratch_database
    from socialdesk.team.connect import safe_url

    with scratch_database(admin_url) as url:
        say(f"hub failover: two hub processes on {safe_url(admin_url)}, the leader killed {kills}x ...")
        return failover(url, kills, say)


def report(result: dict[str, Any], say: Callable[[str], None]) -> bool:
    """Print the failover figure; True when every takeover came within the lease and no post was lost."""
    times = sorted(result["takeover_ms"])
    worst = times[-1] if times else float("inf")
    ok = worst <= result["lease_s"] * 1000 and result["lost"] == 0 and result["duplicated"] == 0
    say(
        f"hub failover (leader killed, {result['kills']}x, {RATE:g} posts/s arriving): next leader after "
        f"{times[len(times) // 2]:,.0f} ms median, {worst:,.0f} ms worst (lease {result['lease_s']:g} s); "
        f"posts written {result['written']:,}, lost {result['lost']}, stored twice {result['duplicated']}"
    )
    return ok
