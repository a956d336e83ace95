"""Accounts that tell the truth: a test is a round trip, a secret is checked before it is stored, a
refusal is kept (doctor shows it) and a headless sync leaves a refused account alone for a while."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from socialdesk import locations
from socialdesk.cli import _register_commands, app
from socialdesk.config import AccountSettings, load
from socialdesk.errors import UserError
from socialdesk.secrets import SecretStore
from socialdesk.services.accounts import StoredSession, test_account
from socialdesk.store import Store
from socialdesk.testing import SECRET, Loopback, Reply, Request
from tests.connectors.test_bluesky import FakeBluesky
from tests.connectors.test_mastodon import FakeMastodon


class RevocableBluesky(FakeBluesky):
    """A PDS whose app password can be revoked: as @atproto/pds does it, the refresh tokens go with it
    (refreshSession: 400 ExpiredToken "Token has been revoked") while access tokens live on until
    they expire (getSession still answers)."""

    revoked = False

    def create_session(self, request: Request) -> Reply:
        if self.revoked:
            return Reply(
                401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            )
        return super().create_session(request)

    def refresh_session(self, request: Request) -> Reply:
        if self.revoked:
            return Reply(400, {"error": "ExpiredToken", "message": "Token has been revoked"})
        return super().refresh_session(request)


@dataclass
class Ran:
    exit_code: int
    output: str  # what the command printed, then the one-line error it ended with


def run(*args: str, **kwargs: Any) -> Ran:
    _register_commands()
    result = CliRunner().invoke(app, list(args), **kwargs)
    output = result.output
    if isinstance(result.exception, UserError):
        output += f"error: {result.exception}"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, output)


def bluesky(server: Loopback, name: str = "bsky") -> AccountSettings:
    return AccountSettings(name, "bluesky", options={"handle": "acme.bsky.social", "service": server.url})


def test_accounts_test_refreshes_a_stored_session_instead_of_trusting_it(
    loopback_server: Loopback, tmp_path: Path
) -> None:
    fake = RevocableBluesky(loopback_server)
    secrets = SecretStore("file", tmp_path / "s.json")
    secrets.set("bsky", SECRET)
    account = bluesky(loopback_server)
    described = test_account(account, "c", secrets)
    assert described == f"@acme.bsky.social (did:plc:acmesupport0000000000000) at {loopback_server.url}"
    assert StoredSession(secrets, "bsky").load() is not None
    fake.revoked = True
    with pytest.raises(UserError, match="needs auth"):
        test_account(account, "c", secrets)


def test_accounts_test_with_the_service_down_is_not_ok(loopback_server: Loopback, tmp_path: Path) -> None:
    RevocableBluesky(loopback_server)
    secrets = SecretStore("file", tmp_path / "s.json")
    secrets.set("bsky", SECRET)
    test_account(bluesky(loopback_server), "c", secrets)  # a session is stored
    loopback_server.fail_next(Reply(drop=True), 20)
    with pytest.raises(UserError, match="bsky"):
        test_account(bluesky(loopback_server), "c", secrets)


def write_config(text: str) -> Path:
    config = locations.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return config


def test_accounts_add_checks_the_secret_before_storing_it(loopback_server: Loopback, tmp_path: Path) -> None:
    fake = RevocableBluesky(loopback_server)
    config = write_config("# desk\n")
    base = ["--db", str(tmp_path / "t.db"), "accounts", "add", "b", "-c", "bluesky"]
    options = ["-o", "handle=acme.bsky.social", "-o", f"service={loopback_server.url}"]
    refused = run(*base, *options, input="wrong-password\n")
    assert refused.exit_code != 0 and "refused the app password" in refused.output
    assert "wrong-password" not in refused.output
    assert load(config).accounts == [] and SecretStore().get("b") is None
    added = run(*base, *options, input=f"{SECRET}\n")
    assert added.exit_code == 0, added.output
    assert SecretStore().get("b") == SECRET and [a.name for a in load(config).accounts] == ["b"]
    assert StoredSession(SecretStore(), "b").load() is not None  # the check's login is kept
    assert fake.sessions == 1


def test_accounts_add_no_verify_stores_offline(tmp_path: Path) -> None:
    config = write_config("")
    added = run(
        "--db",
        str(tmp_path / "t.db"),
        *("accounts", "add", "b", "-c", "bluesky", "-o", "handle=acme.bsky.social"),
        *("-o", "service=http://127.0.0.1:9", "--no-verify"),
        input="app-pass-1234\n",
    )
    assert added.exit_code == 0, added.output
    assert SecretStore().get("b") == "app-pass-1234" and [a.name for a in load(config).accounts] == ["b"]


def test_a_401_during_sync_is_kept_shown_by_doctor_and_backed_off(
    loopback_server: Loopback, tmp_path: Path
) -> None:
    fake = FakeMastodon(loopback_server)
    fake.mention()
    write_config(f'[[accounts]]\nname = "m"\nconnector = "mastodon"\nbase_url = "{loopback_server.url}"\n')
    SecretStore().set("m", "tok-revoked")
    db = ["--db", str(tmp_path / "t.db")]
    loopback_server.fail_next(Reply(401, {"error": "The access token was revoked"}))
    first = run(*db, "sync", "--once")
    assert first.exit_code == 1 and "m: needs auth" in first.output
    doctor = run(*db, "doctor").output
    assert (
        "accounts needing auth:\n  m: refused at" in doctor and "none" not in doctor.split("quarantined")[0]
    )
    requests = len(loopback_server.calls("GET", "/api/v1/accounts/verify_credentials"))
    second = run(*db, "sync", "--once")
    assert second.exit_code == 1 and "m: needs auth · skipped until" in second.output
    assert len(loopback_server.calls("GET", "/api/v1/accounts/verify_credentials")) == requests  # left alone
    tested = run(*db, "accounts", "test", "m")  # the token works again
    assert tested.exit_code == 0 and tested.output.startswith("ok: m")
    assert "accounts needing auth: none" in run(*db, "doctor").output
    third = run(*db, "sync", "--once")
    assert third.exit_code == 0 and "m: ok · 1 new" in third.output, third.output


def test_a_refused_account_is_tried_again_after_its_wait(loopback_server: Loopback, tmp_path: Path) -> None:
    from socialdesk.services.sync import auth_backoff
    from socialdesk.store.account_auth import FIRST_WAIT, auth_marks, mark_needs_auth

    store = Store(tmp_path / "t.db")
    first = mark_needs_auth(store.conn, "m", "401", 1000.0)
    assert auth_backoff(store, "m", 1000.0 + FIRST_WAIT - 1) == first
    assert auth_backoff(store, "m", 1000.0 + FIRST_WAIT) is None
    again = mark_needs_auth(store.conn, "m", "401", 2000.0)
    assert again.retry_at == 2000.0 + 2 * FIRST_WAIT and auth_marks(store.conn)["m"].failures == 2
