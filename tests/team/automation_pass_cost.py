"""Measures a hub's automation pass: `python -m tests.team.automation_pass_cost [N]`.

On a scratch database of the test server (`.pg/url`, as the postgres tests), N open conversations of
three customer posts each, ten minutes old: one `unanswered` automation after 30 minutes with nothing
due (it reads every waiting conversation), the same with a query, then a pass an hour later that
fires (up to a pass's limit of 500). Five passes each; the median and the best.
"""

from __future__ import annotations

import sys
import time
import uuid

import psycopg

from socialdesk.hub.automations import run_for_team
from socialdesk.services.automations import Automation, parse_automation
from socialdesk.team.migrate import migrate
from tests.postgres_fixtures import ROOT, with_database


def _seed(conn: psycopg.Connection, n: int, now: float) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO conversations (network, key, status, last_post_at) "
            "SELECT 'demo', 'k' || g, 'open', %s FROM generate_series(1, %s) g",
            (now - 60, n),
        )
        conn.execute(
            "INSERT INTO posts (conversation_id, network, native_id, author_native_id, author_handle, text, "
            "created_at, fetched_at) SELECT c.id, 'demo', c.key || '-' || j, 'u', 'carla', "
            "'where is my order', %s - 600 + j, %s FROM conversations c, generate_series(1, 3) j",
            (now, now),
        )
    conn.execute("ANALYZE")


def _timed(conn: psycopg.Connection, automations: list[Automation], now: float) -> tuple[float, float]:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        assert not run_for_team(conn, automations, now, "bench").fired
        times.append(time.perf_counter() - start)
    times.sort()
    return times[2], times[0]


def main(n: int) -> None:
    """Print the figures for `n` waiting conversations."""
    admin = (ROOT / ".pg" / "url").read_text(encoding="utf-8").strip()
    name = f"sdbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(with_database(admin, name), autocommit=True) as conn:
            migrate(conn)
            now = time.time()
            _seed(conn, n, now)
            plain = parse_automation(
                {"name": "u", "when": "unanswered", "after": "30m", "priority": 3}, 0, "pb"
            )
            queried = parse_automation(
                {
                    "name": "q",
                    "when": "unanswered",
                    "after": "30m",
                    "priority": 3,
                    "query": "priority:3 tag:vip",
                },
                0,
                "pb",
            )
            for automations, label in (([plain], "nothing due"), ([queried], 'query "priority:3 tag:vip"')):
                median, best = _timed(conn, automations, now)
                print(f"{n} waiting, {label}: median {median * 1000:.0f} ms, best {best * 1000:.0f} ms")
            start = time.perf_counter()
            fired = run_for_team(conn, [plain], now + 3600, "bench").fired
            print(f"{n} waiting, firing {len(fired)}: {(time.perf_counter() - start) * 1000:.0f} ms")
    finally:
        with psycopg.connect(admin, autocommit=True) as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
