"""A team database and a desk's cache from before the lock-free feed: the desk reads on where it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from socialdesk.services import team_replica
from socialdesk.store import Store, team_cache
from socialdesk.store.migrate import statements
from socialdesk.store.schema import migrations as local_migrations
from socialdesk.team import feed, migrate
from socialdesk.team.schema import MIGRATIONS

pytestmark = pytest.mark.postgres

TEAM_BEFORE = 7  # the team schema before the lock-free stamp (migration 8)
LOCAL_BEFORE = 26  # the cache before its feed position gained change_xid (migration 27)


def _team_at_6(conn: psycopg.Connection) -> None:
    with conn.transaction():
        conn.execute("CREATE TABLE team_schema (version integer NOT NULL)")
        for script in MIGRATIONS[:TEAM_BEFORE]:
            conn.execute(script.encode())
        conn.execute("INSERT INTO team_schema (version) VALUES (%s)", (TEAM_BEFORE,))


def _cache_at_26(path: Path, read_up_to: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for script in local_migrations()[:LOCAL_BEFORE]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {LOCAL_BEFORE}")
    conn.execute("INSERT INTO team_feed (tbl, last_seq) VALUES ('agents', ?)", (read_up_to,))
    conn.close()


def test_a_desk_reads_on_from_its_old_position_without_reading_anything_again(
    pg_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as hub:
        _team_at_6(hub)
        for name in ("ann", "bob", "cid", "dan"):
            hub.execute("INSERT INTO agents (name) VALUES (%s)", (name,))
        old = hub.execute("SELECT name, change_seq FROM agents ORDER BY change_seq").fetchall()
        assert [n for n, _ in old] == ["ann", "bob", "cid", "dan"]
        read_up_to = old[1][1]  # the desk had read ann and bob with the old feed
        _cache_at_26(tmp_path / "desk.db", read_up_to)
        assert migrate.migrate(hub) == (TEAM_BEFORE, len(MIGRATIONS))
        store = Store(tmp_path / "desk.db")
        assert team_cache.position(store.conn, "agents") == (0, read_up_to)
        hub.execute("UPDATE agents SET role = 'approver' WHERE name = 'ann'")
        hub.execute("INSERT INTO agents (name) VALUES ('eve')")
        seen: list[str] = []
        at = team_cache.position(store.conn, "agents")
        while page := feed.pull(hub, "agents", at):
            seen += [row["name"] for row in page]
            at = feed.position(page[-1])
        # the two old rows not yet read, then the two written since; bob is not read again
        assert seen == ["cid", "dan", "ann", "eve"]
        assert team_replica.pull(hub, store, tables=("agents",)).rows == {"agents": 4}
        assert team_replica.pull(hub, store, tables=("agents",)).rows == {}
        assert team_cache.role_of(store.conn, "ann") == "approver"
