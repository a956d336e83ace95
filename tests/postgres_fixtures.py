"""Real PostgreSQL for the tests marked `postgres`: a fresh database per test, or a skip saying why.

The server comes from SOCIALDESK_TEST_PG (a postgresql:// URL of a role allowed to create databases),
else the .pg/url that `.ci/postgres` writes (`.ci/run` starts it). Nothing stands in for PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _server_url() -> tuple[str | None, str]:
    """The admin URL of the test server, or None and the reason there is none."""
    if url := os.environ.get("SOCIALDESK_TEST_PG", "").strip():
        return url, ""
    run = ROOT / ".pg"
    if (run / "url").is_file():
        return (run / "url").read_text(encoding="utf-8").strip(), ""
    if (run / "error").is_file():
        return None, f"no PostgreSQL for the tests: {(run / 'error').read_text(encoding='utf-8').strip()}"
    return None, "no PostgreSQL for the tests: run `bash .ci/postgres` (or set SOCIALDESK_TEST_PG)"


def pytest_configure(config: pytest.Config) -> None:
    """Without a PostgreSQL the team's snapshot tests skip, so their snapshots go unused: syrupy would
    fail the run for it (the README's test command on a machine without one), so it only warns then."""
    if _server_url()[0] is None:
        config.option.warn_unused_snapshots = True


def with_database(url: str, dbname: str) -> str:
    """The same server as a postgresql:// URL naming another database."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    user = quote(str(params.get("user", "")), safe="")
    password = f":{quote(str(params['password']), safe='')}" if params.get("password") else ""
    host = params.get("host", "127.0.0.1")
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{password}@{host}{port}/{dbname}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL (conninfo) of a reachable PostgreSQL server; skips the test when there is none."""
    import psycopg

    url, reason = _server_url()
    if url is None:
        pytest.skip(reason)
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL for the tests: {str(exc).splitlines()[0]}")
    return url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards); its postgresql:// URL."""
    import psycopg

    name = f"sdtest_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def team_db(pg_url: str) -> Iterator[str]:
    """A fresh database with the team schema migrated; its postgresql:// URL."""
    import psycopg

    from socialdesk.team.migrate import migrate

    with psycopg.connect(pg_url, autocommit=True) as conn:
        migrate(conn)
    yield pg_url
