"""Secret storage, connector building from config, and the accounts/import/doctor commands."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import typer
from keyring.backend import KeyringBackend
from rich.pretty import pretty_repr
from typer.testing import CliRunner

from socialdesk import locations
from socialdesk.commands import accounts as accounts_cmd
from socialdesk.commands import io as io_cmd
from socialdesk.config import AccountSettings, Settings, load
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.secrets import Secret, SecretStore, redact, remember
from socialdesk.services.accounts import build_connector, health, test_account
from socialdesk.store import Store
from socialdesk.testing import Loopback
from tests.connectors.test_mastodon import FakeMastodon


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.values[(service, username)]


def test_file_fallback_is_0600_with_a_notice(tmp_path: Path) -> None:
    store = SecretStore("file", tmp_path / "secrets.json")
    store.set("acct", "tok-abcdef")
    assert stat.S_IMODE(os.stat(tmp_path / "secrets.json").st_mode) == 0o600
    assert store.get("acct") == "tok-abcdef" and store.notice and "0600" in store.notice
    os.chmod(tmp_path / "secrets.json", 0o644)
    assert SecretStore("file", tmp_path / "secrets.json").get("acct") == "tok-abcdef"
    assert stat.S_IMODE(os.stat(tmp_path / "secrets.json").st_mode) == 0o600
    assert store.delete("acct") and store.get("acct") is None and not store.delete("acct")


def test_keyring_backend_is_used_when_available() -> None:
    ring = MemoryKeyring()
    store = SecretStore(ring)
    store.set("acct", "tok-keyring")
    assert ring.values == {("socialdesk", "acct"): "tok-keyring"}
    assert (
        store.get("acct") == "tok-keyring" and store.notice is None and "MemoryKeyring" in store.description
    )


def test_secret_repr_and_redaction() -> None:
    secret = remember("tok-very-secret")
    assert isinstance(secret, Secret) and secret == "tok-very-secret"
    assert "tok-very-secret" not in repr(secret) and "tok-very-secret" not in pretty_repr({"s": secret})
    assert redact("header Bearer tok-very-secret failed") == "header Bearer *** failed"
    assert f"Bearer {secret}" == "Bearer tok-very-secret"


def test_build_connector_checks_options_and_fetches_the_secret(tmp_path: Path) -> None:
    secrets = SecretStore("file", tmp_path / "s.json")
    secrets.set("m", "tok-build")
    account = AccountSettings("m", "mastodon", options={"base_url": "https://m.example"})
    connector = build_connector(account, "cfg.toml", secrets)
    assert isinstance(connector, MastodonConnector) and connector.secret == "tok-build"
    with pytest.raises(UserError, match="unknown key 'colour'"):
        build_connector(
            AccountSettings("m", "mastodon", options={"base_url": "https://m", "colour": 1}), "c", secrets
        )
    with pytest.raises(UserError, match="installed connectors"):
        build_connector(AccountSettings("m", "myspace"), "c", secrets)
    with pytest.raises(UserError, match="base_url"):
        build_connector(AccountSettings("m", "mastodon"), "c", secrets)


def test_test_account_reports_auth_without_the_secret(tmp_path: Path, loopback_server: Loopback) -> None:
    FakeMastodon(loopback_server)
    secrets = SecretStore("file", tmp_path / "s.json")
    account = AccountSettings("m", "mastodon", options={"base_url": loopback_server.url})
    import httpx

    with pytest.raises(UserError, match="needs auth"):
        test_account(account, "c", secrets, httpx.Client(base_url=loopback_server.url))
    secrets.set("m", "tok-ok")
    assert "@acme@127.0.0.1" in test_account(
        account, "c", secrets, httpx.Client(base_url=loopback_server.url)
    )


# -- commands ------------------------------------------------------------------------------------


def cli(tmp_path: Path) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        path = locations.config_file()
        ctx.obj = Context(settings=load(path), db_path=tmp_path / "t.db")

    accounts_cmd.register(app)
    io_cmd.register(app)
    return app


def run(app: typer.Typer, *args: str, **kwargs: Any) -> Any:
    result = CliRunner().invoke(app, list(args), **kwargs)
    if isinstance(result.exception, UserError):
        result.output_error = str(result.exception)
    return result


def test_accounts_add_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = locations.config_file()
    config.parent.mkdir(parents=True)
    config.write_text('# my desk\n[desk]\nagent = "sam"  # me\n', encoding="utf-8")
    app = cli(tmp_path)
    monkeypatch.setenv("MASTO_TOKEN", "tok-from-env-1")
    result = run(
        app,
        "accounts",
        "add",
        "support",
        "-c",
        "mastodon",
        "-o",
        "base_url=https://m.example",
        "-o",
        "hashtags=acme, acmehelp",
        "--secret-env",
        "MASTO_TOKEN",
        "--no-verify",  # m.example is not a server
    )
    assert result.exit_code == 0, result.output
    assert "tok-from-env-1" not in result.output
    result = run(app, "accounts", "add", "forum", "-c", "feeds", "-o", "url=https://forum.example/feed.xml")
    assert result.exit_code == 0, result.output
    text = config.read_text(encoding="utf-8")
    assert text.startswith('# my desk\n[desk]\nagent = "sam"  # me\n') and "tok-from-env-1" not in text
    settings = load(config)
    assert [(a.name, a.connector) for a in settings.accounts] == [("support", "mastodon"), ("forum", "feeds")]
    assert settings.accounts[0].options["hashtags"] == ["acme", "acmehelp"]
    assert SecretStore().get("support") == "tok-from-env-1"
    listing = run(app, "accounts", "list").output
    assert "support\tmastodon\tsecret stored" in listing and "forum\tfeeds\tno secret needed" in listing
    assert run(app, "accounts", "remove", "support").exit_code == 0
    assert [a.name for a in load(config).accounts] == ["forum"]
    assert "# me" in config.read_text(encoding="utf-8") and SecretStore().get("support") is None


def test_accounts_add_prompts_hidden_and_refuses_duplicates(tmp_path: Path) -> None:
    app = cli(tmp_path)
    result = run(
        app,
        *("accounts", "add", "b", "-c", "bluesky", "-o", "handle=acme.bsky.social", "--no-verify"),
        input="app-pass-1234\n",
    )
    assert result.exit_code == 0, result.output
    assert "app-pass-1234" not in result.output and SecretStore().get("b") == "app-pass-1234"
    again = run(app, "accounts", "add", "b", "-c", "bluesky", "-o", "handle=x.bsky.social", input="p\n")
    assert isinstance(again.exception, UserError) and "already exists" in str(again.exception)
    bad = run(app, "accounts", "add", "c", "-c", "bluesky", "-o", "colour=blue", input="p\n")
    assert isinstance(bad.exception, UserError) and "unknown key 'colour'" in str(bad.exception)


def test_import_and_doctor(tmp_path: Path) -> None:
    app = cli(tmp_path)
    line = {
        "network": "reviews",
        "id": "1",
        "author": {"handle": "jane"},
        "text": "meh",
        "created_at": 1700000000,
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(line) + "\n{bad\n", encoding="utf-8")
    result = run(app, "import", str(path))
    assert (
        result.exit_code == 0
        and "imported 1 new posts" in result.output
        and "1 lines quarantined" in result.output
    )
    locations.config_file().parent.mkdir(parents=True)
    locations.config_file().write_text(
        '[[accounts]]\nname = "m"\nconnector = "mastodon"\nbase_url = "https://m.example"\n'
    )
    doctor = run(app, "doctor").output
    assert "secrets: file" in doctor and "m: no access token stored" in doctor
    assert "import:in.jsonl: 1" in doctor and "line 2: not JSON" in doctor


def test_health_counts_replies_waiting_for_auth(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    secrets = SecretStore("file", tmp_path / "s.json")
    secrets.set("m", "tok")
    store.conn.execute(
        "INSERT INTO replies (network, account, text, state, idempotency_key, created_at, updated_at) "
        "VALUES ('mastodon', 'm', 'hi', 'needs_auth', 'k', 0, 0)"
    )
    settings = Settings(
        accounts=[AccountSettings("m", "mastodon", options={"base_url": "https://m.example"})]
    )
    assert health(settings, store, secrets).needs_auth == [("m", "1 replies waiting for auth")]
