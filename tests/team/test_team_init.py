"""`socialdesk team init` and `team password`: create or migrate, idempotent, one-line errors."""

from __future__ import annotations

import io
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from socialdesk.team import migrate, schema
from tests.cli_run import run


def with_password(url: str, password: str | None) -> str:
    """The URL with another password (None: none)."""
    parts = urlsplit(url)
    user = parts.username or ""
    auth = f"{user}:{password}" if password is not None else user
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}:{parts.port}"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
def test_init_creates_then_reports_it_current(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    password = urlsplit(pg_url).password or ""
    code, out, err = run(capsys, "team", "init", pg_url)
    assert (code, err) == (0, "")
    assert out.endswith(f": schema version {schema.SCHEMA_VERSION} (created)\n")
    assert password not in out and "***" in out
    code, out, _ = run(capsys, "team", "init", pg_url)
    assert code == 0 and out.endswith("(already current)\n")
    with psycopg.connect(pg_url) as conn:
        assert migrate.current_version(conn) == schema.SCHEMA_VERSION


@pytest.mark.postgres
def test_init_reads_the_config_and_the_stored_password(
    capsys: pytest.CaptureFixture[str], pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALDESK_SECRETS", "file")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-passfile"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    password = urlsplit(pg_url).password or ""
    bare = with_password(pg_url, None)
    config = tmp_path / "config.toml"
    config.write_text(f'[team]\nurl = "{bare}"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "team", "init")
    assert code == 1 and "authentication failed for user" in err  # no password anywhere yet
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code, out, err = run(capsys, "--config", str(config), "team", "password", "--stdin")
    assert code == 0 and password not in out + err
    assert password not in config.read_text(encoding="utf-8")
    code, out, err = run(capsys, "--config", str(config), "team", "init")
    assert (code, err) == (0, ""), err
    assert "(created)" in out


@pytest.mark.postgres
def test_a_wrong_password_is_one_line_without_it(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    code, out, err = run(capsys, "team", "init", with_password(pg_url, "not-the-password"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "not-the-password" not in err
    assert "authentication failed for user postgres" in err


@pytest.mark.postgres
def test_a_missing_database_says_so(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    missing = urlsplit(pg_url)._replace(path="/no_such_team_db").geturl()
    code, _, err = run(capsys, "team", "init", missing)
    assert code == 1 and "database no_such_team_db does not exist" in err and err.count("\n") == 1


def test_a_refused_connection_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "team", "init", f"postgresql://ann:s3cret-pw@127.0.0.1:{closed_port()}/desk")
    assert code == 1 and err.count("\n") == 1
    assert "connection refused (is PostgreSQL running there" in err and "s3cret-pw" not in err


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://ann:s3cret-pw@h/desk", "not a PostgreSQL URL"),
        ("postgresql://ann:s3cret-pw@[::1/desk", "not a valid PostgreSQL URL"),
        ("postgresql://ann:s3cret-pw@h:70000/desk", "the port must be a number from 1 to 65535"),
        ("postgresql://ann:s3cret-pw@h/desk?nonsense=1", "not a valid PostgreSQL URL"),
        ("postgresql://ann:s3cret-pw@h", "name the database"),
    ],
)
def test_a_bad_url_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str], url: str, message: str
) -> None:
    code, _, err = run(capsys, "team", "init", url)
    assert code == 1 and message in err and err.count("\n") == 1 and "s3cret-pw" not in err


def test_without_a_url_or_config_it_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "team", "init")
    assert code == 1 and "give a postgresql:// URL, or set [team] url" in err


@pytest.mark.postgres
def test_members_and_the_supervisor_status_from_the_command_line(
    capsys: pytest.CaptureFixture[str], team_db: str, tmp_path: Path
) -> None:
    def as_agent(name: str) -> str:
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[desk]\nagent = "{name}"\n[team]\nurl = "{team_db}"\n', encoding="utf-8")
        return str(config)

    assert run(capsys, "--config", as_agent("sue"), "team", "agent", "sue", "--role", "supervisor")[0] == 0
    assert run(capsys, "--config", as_agent("sue"), "team", "agent", "ann")[:2] == (0, "ann: agent\n")
    code, _, err = run(capsys, "--config", as_agent("ann"), "team", "agent", "ann", "--role", "supervisor")
    assert code == 1 and "ann is an agent: manage agents needs the supervisor role" in err
    code, _, err = run(capsys, "--config", as_agent("ann"), "team", "status")
    assert code == 1 and "supervise needs the supervisor role" in err
    code, out, err = run(capsys, "--config", as_agent("sue"), "team", "status")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "queue: new 0 · open 0 · pending 0 · snoozed 0 · escalated 0 · claimable 0 · awaiting approval 0",
        "ann (agent): 0 claimed: nothing",
        "sue (supervisor): 0 claimed: nothing",
        "SLA breaches: 0",
    ]


@pytest.mark.postgres
def test_commands_on_a_database_without_the_schema_say_to_run_init(
    capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    for command in (["status"], ["agent", "ann"], ["playbook", "show"], ["playbook", "push", "pb.toml"]):
        code, _, err = run(capsys, "team", *command, "--url", pg_url)
        assert code == 1 and "run `socialdesk team init`" in err, command
