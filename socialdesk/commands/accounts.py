"""`socialdesk accounts add|list|remove|test`: network accounts in config.toml, secrets in the keyring."""

from __future__ import annotations

import os
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from socialdesk import locations
from socialdesk.commands import Group
from socialdesk.config import AccountSettings, validate_account_options
from socialdesk.context import from_typer
from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.services.config_edit import append_account, remove_account


def config_path(source: str) -> Path:
    """The config file to edit: the one in use, else the default location."""
    return Path(source) if source and source != "defaults" else locations.config_file()


def parse_option(key: str, value: str, expected: Any) -> Any:
    """A `key=value` option converted to the type its connector declares."""
    if typing.get_origin(expected) is list or expected is list:
        return [part.strip() for part in value.split(",") if part.strip()]
    if expected is bool:
        if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise UserError(f"--option {key}: wants true or false, got {value!r}")
        return value.lower() in ("true", "yes", "1")
    if expected in (int, float):
        try:
            return expected(value)
        except ValueError:
            raise UserError(f"--option {key}: wants a number, got {value!r}") from None
    return value


def _read_secret(label: str, env: str, stdin: bool) -> str:
    if env:
        value = os.environ.get(env, "")
        if not value:
            raise UserError(f"--secret-env: the environment variable {env} is empty or unset")
        return value
    if stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise UserError("--secret-stdin: nothing was read from standard input")
        return value
    return str(typer.prompt(f"{label[:1].upper()}{label[1:]}", hide_input=True)).strip()


def register(app: typer.Typer) -> None:
    """Add the `accounts` command group to the app."""
    accounts = typer.Typer(
        cls=Group, help="Add, list, remove and test network accounts.", no_args_is_help=True
    )
    app.add_typer(accounts, name="accounts")

    @accounts.command("add")
    def add(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A short unique name for the account.")],
        connector: Annotated[
            str, typer.Option("--connector", "-c", help="mastodon, bluesky, x, feeds, jsonl ...")
        ],
        option: Annotated[
            list[str], typer.Option("--option", "-o", help="key=value (lists: comma-separated); repeat.")
        ] = [],  # noqa: B006 - typer reads the default, it is never mutated
        secret_env: Annotated[
            str, typer.Option("--secret-env", help="Read the secret from this env var.")
        ] = "",
        secret_stdin: Annotated[
            bool, typer.Option("--secret-stdin", help="Read the secret from stdin.")
        ] = False,
        no_verify: Annotated[
            bool,
            typer.Option("--no-verify", help="Store the secret without checking it (offline)."),
        ] = False,
    ) -> None:
        """Add an account to config.toml and keep its secret in the keyring (or the 0600 file).

        The secret is checked with the network first (a login or a whoami); nothing is written when
        the network refuses it. `--no-verify` skips the check, for adding an account offline.
        """
        from socialdesk.secrets import SecretStore
        from socialdesk.services.accounts import connector_class, verify_new_account
        from socialdesk.store.account_auth import clear_auth

        context = from_typer(ctx)
        if any(a.name == name for a in context.settings.accounts):
            raise UserError(f"an account named {name!r} already exists")
        account = AccountSettings(name=name, connector=connector)
        cls = connector_class(account)
        for item in option:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UserError(f"--option: wants key=value, got {item!r}")
            expected = cls.options.get(key.strip(), (str, ""))[0]
            account.options[key.strip()] = parse_option(key.strip(), value.strip(), expected)
        path = config_path(context.settings.source)
        validate_account_options(account, cls.options, str(path))
        secrets = SecretStore()
        secret = _read_secret(cls.secret_label, secret_env, secret_stdin) if cls.secret_label else ""
        # The connector checks its settings, then (unless --no-verify) the network checks the secret.
        session = verify_new_account(cls, account, secret or None, verify=not no_verify)
        append_account(path, {"name": name, "connector": connector, **account.options})
        clear_auth(context.store.conn, name)  # a new secret: whatever was refused before is history
        if secret:
            secrets.set(name, secret)
        if session:
            from socialdesk.services.accounts import StoredSession

            StoredSession(secrets, name).save(session)
            if secrets.notice:
                typer.echo(f"note: {secrets.notice}", err=True)
        typer.echo(
            f"added {connector} account {name!r} to {path}"
            + (f"; {cls.secret_label} stored" if secret else "")
            + ("" if no_verify or not secret else " (checked with the network)")
        )

    @accounts.command("list")
    def list_(ctx: typer.Context) -> None:
        """List the configured accounts and whether their secret is stored."""
        from socialdesk.secrets import SecretStore
        from socialdesk.services.accounts import connector_class

        context = from_typer(ctx)
        source = context.settings.source
        if source != "defaults" and not Path(source).exists():
            raise UserError(f"config file not found: {source}")
        if not context.settings.accounts:
            typer.echo("no accounts configured (add one with `socialdesk accounts add`)")
            return
        secrets = SecretStore()
        for account in context.settings.accounts:
            try:
                needs = connector_class(account).secret_label
                state = (
                    ("secret stored" if secrets.get(account.name) else f"no {needs} stored")
                    if needs
                    else "no secret needed"
                )
            except UserError:
                state = "connector not installed"
            enabled = "" if account.enabled else " (disabled)"
            typer.echo(f"{account.name}\t{account.connector}{enabled}\t{state}")

    @accounts.command("remove")
    def remove(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="The account to remove.")],
    ) -> None:
        """Remove an account from config.toml and forget its secret and session."""
        from socialdesk.secrets import SecretStore
        from socialdesk.services.accounts import find_account, session_key
        from socialdesk.store.account_auth import clear_auth

        context = from_typer(ctx)
        find_account(context.settings, name)
        remove_account(config_path(context.settings.source), name)
        secrets = SecretStore()
        secrets.delete(name)
        secrets.delete(session_key(name))
        clear_auth(context.store.conn, name)
        typer.echo(f"removed account {name!r} and its stored secret")

    @accounts.command("test")
    def test(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="The account to check.")],
    ) -> None:
        """Check an account's credentials against its network."""
        from socialdesk.services.accounts import find_account, test_account

        context = from_typer(ctx)
        account = find_account(context.settings, name)
        description = test_account(account, context.settings.source, store=context.store)
        typer.echo(f"ok: {name}: {clean(description, single_line=True)}")
