"""Connecting to the team database: where the password comes from, and the pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk.errors import UserError
from socialdesk.secrets import SecretStore
from socialdesk.team import connect


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretStore:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-passfile"))
    return SecretStore(backend="file", path=tmp_path / "secrets.json")


def test_the_stored_password_is_used_when_the_url_has_none(secrets: SecretStore) -> None:
    url = "postgresql://ann@db.example:5433/desk?sslmode=require"
    secrets.set("team:ann@db.example:5433/desk", "from-the-keyring")
    params = connect.connect_params(url, secrets)
    assert params["password"] == "from-the-keyring" and params["sslmode"] == "require"
    in_url = connect.connect_params("postgresql://ann:in-the-url@db.example:5433/desk", secrets)
    assert in_url["password"] == "in-the-url"


def test_libpq_sources_win_over_the_secret_store(
    secrets: SecretStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://ann@db.example:5433/desk"
    secrets.set("team:ann@db.example:5433/desk", "from-the-keyring")
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    assert "password" not in connect.connect_params(url, secrets)  # libpq reads PGPASSWORD itself
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text("db.example:5433:desk:ann:from-the-passfile\n", encoding="utf-8")
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert "password" not in connect.connect_params(url, secrets)
    passfile.write_text("*:*:*:ann:from-the-passfile\n", encoding="utf-8")
    assert "password" not in connect.connect_params(url, secrets)


def test_a_password_file_without_a_line_for_this_database_leaves_it_to_the_secret_store(
    secrets: SecretStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set("team:ann@db.example:5433/desk", "from-the-keyring")
    passfile = tmp_path / "pgpass"
    passfile.write_text(
        "# other servers\nother.example:5433:desk:ann:x\ndb.example:5432:*:ann:y\ndb.example:*:desk:bob:z\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    params = connect.connect_params("postgresql://ann@db.example:5433/desk", secrets)
    assert params["password"] == "from-the-keyring"


def test_the_password_never_shows_in_a_message() -> None:
    assert connect.safe_url("postgresql://ann:hunter22@h/desk") == "postgresql://ann:***@h/desk"
    assert connect.safe_url("postgresql://ann@h/desk") == "postgresql://ann@h/desk"


@pytest.mark.postgres
def test_the_pool_hands_out_autocommit_connections(pg_url: str) -> None:
    pool = connect.open_pool(pg_url, max_size=2)
    try:
        with pool.connection() as conn:
            assert conn.autocommit
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        pool.close()


@pytest.mark.postgres
def test_the_pool_fails_fast_with_the_reason(pg_url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(pg_url)
    wrong = parts._replace(netloc=f"{parts.username}:wrong-password@{parts.hostname}:{parts.port}").geturl()
    with pytest.raises(UserError, match="authentication failed for user") as caught:
        connect.open_pool(wrong)
    assert "wrong-password" not in str(caught.value)


def test_our_sessions_may_not_idle_inside_a_transaction_for_long(secrets: SecretStore) -> None:
    """An idle open writing transaction would hold back every desk's feed (team/feed.py)."""
    params = connect.connect_params("postgresql://ann@db.example:5433/desk", secrets)
    assert (
        params["options"] == f"-c idle_in_transaction_session_timeout={connect.IDLE_IN_TRANSACTION_S * 1000}"
    )
    own = connect.connect_params("postgresql://ann@db.example/desk?options=-c%20work_mem%3D8MB", secrets)
    assert own["options"].endswith(" -c work_mem=8MB")
