"""Builds connectors for configured accounts (class from the registry, options checked, secret
fetched) and gathers what `socialdesk doctor` reports about accounts and quarantined items."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import msgspec

from socialdesk.config import AccountSettings, Settings, validate_account_options
from socialdesk.connectors.base import AuthError, Connector, ConnectorError, SessionData
from socialdesk.connectors.registry import UnknownConnector, load_connector
from socialdesk.errors import UserError
from socialdesk.secrets import SecretStore, redact
from socialdesk.store import Store
from socialdesk.store.account_auth import auth_marks, clear_auth, mark_needs_auth

if TYPE_CHECKING:
    import httpx


def session_key(account: str) -> str:
    """Where an account's login session (Bluesky) is kept in the secret store."""
    return f"{account}#session"


class StoredSession:
    """A connector's login session kept in the secret store (its tokens are secrets too)."""

    def __init__(self, secrets: SecretStore, account: str) -> None:
        self.secrets = secrets
        self.key = session_key(account)

    def load(self) -> SessionData | None:
        """The saved session, or None."""
        value = self.secrets.get(self.key)
        try:
            data = json.loads(value) if value else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(self, session: SessionData | None) -> None:
        """Replace (or forget, with None) the saved session."""
        if session is None:
            self.secrets.delete(self.key)
        else:
            self.secrets.set(self.key, json.dumps(session))


def _about(account: AccountSettings, message: str) -> str:
    """`message` about an account, naming it once (a connector's own message may already)."""
    prefix = f"account {account.name!r}"
    return message if message.startswith(prefix) else f"{prefix}: {message}"


def _address(connector: Connector) -> str:
    """The server a connector talks to (scheme, host and port: no path, query or credentials)."""
    base = getattr(getattr(connector, "http", None), "base_url", None)
    if base is None or not getattr(base, "host", ""):
        return ""
    port = f":{base.port}" if base.port else ""
    return f"{base.scheme}://{base.host}{port}"


def connector_class(account: AccountSettings) -> type[Connector]:
    """The connector class an account names.

    Raises:
        UserError: no installed connector has that name.
    """
    try:
        return load_connector(account.connector)
    except UnknownConnector as exc:
        raise UserError(f"account {account.name!r}: {exc}") from None


def build_connector(
    account: AccountSettings,
    source: str = "config",
    secrets: SecretStore | None = None,
    http: httpx.Client | None = None,
) -> Connector:
    """A ready connector for a configured account.

    Args:
        account: the [[accounts]] table.
        source: the config file's name, for error messages.
        secrets: where secrets live (default: the OS keyring or the 0600 file).
        http: an httpx.Client to use (tests pass one bound to a loopback server).

    Raises:
        UserError: unknown connector, bad options, or incomplete settings.
    """
    cls = connector_class(account)
    validate_account_options(account, cls.options, source)
    secrets = secrets or SecretStore()
    secret = secrets.get(account.name) if cls.secret_label else None
    try:
        connector = cls(account.name, account.options, secret, http)
    except ConnectorError as exc:
        raise UserError(f"{source}: {redact(str(exc))}") from None
    except ValueError as exc:  # a setting the connector cannot use (a malformed URL ...)
        raise UserError(f"{source}: {_about(account, redact(str(exc), [secret]))}") from None
    if cls.keeps_session:
        connector.session_store = StoredSession(secrets, account.name)
    return connector


def find_account(settings: Settings, name: str) -> AccountSettings:
    """The configured account called `name`.

    Raises:
        UserError: listing the configured names.
    """
    for account in settings.accounts:
        if account.name == name:
            return account
    names = ", ".join(a.name for a in settings.accounts) or "none"
    raise UserError(f"no account named {name!r} (configured: {names})")


def test_account(
    account: AccountSettings,
    source: str = "config",
    secrets: SecretStore | None = None,
    http: httpx.Client | None = None,
    store: Store | None = None,
) -> str:
    """Check an account's credentials with a round trip to its network; return its description.

    With a `store`, the account's auth state is kept (cleared when the credentials work, marked
    when the network refuses them), and so are the limits the server announced, for the composer
    and `reply`.

    Raises:
        UserError: a one-line reason (needs auth, unreachable, rate limited ...), never a secret.
    """
    connector = build_connector(account, source, secrets, http)
    where = _address(connector)
    at = f" at {where}" if where else ""
    try:
        described = connector.verify()
        limits = connector.server_limits()
        if store is not None and limits is not None:
            store.set_limits(account.name, limits.max_length, limits.url_weight)
    except AuthError as exc:
        message = redact(str(exc))
        if store is not None:
            mark_needs_auth(store.conn, account.name, message, time.time())
        raise UserError(f"account {account.name!r}{at} needs auth: {message}") from None
    except ConnectorError as exc:
        raise UserError(f"account {account.name!r}{at}: {redact(str(exc))}") from None
    finally:
        connector.close()
    if store is not None:
        clear_auth(store.conn, account.name)
    return f"{described}{at}"


class _SessionMemory:
    """Holds the login session a check made, until the account is stored."""

    def __init__(self) -> None:
        self.value: SessionData | None = None

    def load(self) -> SessionData | None:
        return self.value

    def save(self, session: SessionData | None) -> None:
        self.value = session


def verify_new_account(
    cls: type[Connector], account: AccountSettings, secret: str | None, verify: bool = True
) -> SessionData | None:
    """Check a new account before anything is stored: its settings, then its secret with the network.

    Returns:
        A login session the check made (Bluesky), worth keeping with the secret; else None.

    Raises:
        UserError: the settings are incomplete, the network refused the secret, or could not be
            reached (`--no-verify` adds the account unchecked), never showing the secret.
    """
    try:
        connector = cls(account.name, account.options, secret, None)
    except Exception as exc:
        raise UserError(_about(account, redact(str(exc), [secret or ""]))) from None
    memory = _SessionMemory()
    try:
        if not verify or not cls.secret_label or not secret:
            return None
        if cls.keeps_session:  # its login session (Bluesky) is worth keeping with the secret
            connector.session_store = memory
        try:
            connector.verify()
        except AuthError as exc:
            raise UserError(
                f"account {account.name!r}: the network refused the {cls.secret_label} "
                f"({redact(str(exc), [secret])}); nothing was stored"
            ) from None
        except ConnectorError as exc:
            raise UserError(
                f"account {account.name!r}: could not check the {cls.secret_label} "
                f"({redact(str(exc), [secret])}); nothing was stored (--no-verify adds it unchecked)"
            ) from None
    finally:
        connector.close()
    return memory.value


test_account.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


class Health(msgspec.Struct):
    """What `doctor` shows."""

    secret_backend: str
    secret_notice: str | None
    quarantine: dict[str, int] = msgspec.field(default_factory=dict)
    newest_errors: list[tuple[float, str, str]] = msgspec.field(default_factory=list)  # (at, source, error)
    needs_auth: list[tuple[str, str]] = msgspec.field(default_factory=list)  # (account, why)


def health(settings: Settings, store: Store, secrets: SecretStore | None = None, newest: int = 5) -> Health:
    """Quarantine counts and newest errors, accounts that need auth, and where secrets live."""
    secrets = secrets or SecretStore()
    report = Health(secrets.description, secrets.notice, quarantine=store.quarantine_counts())
    report.newest_errors = [
        (at, source, error)
        for at, source, error in store.conn.execute(
            "SELECT at, source, error FROM quarantine ORDER BY id DESC LIMIT ?", (newest,)
        )
    ]
    marks = auth_marks(store.conn)
    waiting = dict(
        store.conn.execute(
            "SELECT account, COUNT(*) FROM replies WHERE state = 'needs_auth' GROUP BY account"
        )
    )
    for account in settings.accounts:
        if not account.enabled:
            continue
        try:
            cls = connector_class(account)
        except UserError as exc:
            report.needs_auth.append((account.name, str(exc)))
            continue
        mark = marks.get(account.name)
        if cls.secret_label and secrets.get(account.name) is None:
            report.needs_auth.append((account.name, f"no {cls.secret_label} stored"))
        elif mark is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(mark.at))
            report.needs_auth.append((account.name, f"refused at {when}: {mark.message}"))
        elif waiting.get(account.name):
            report.needs_auth.append((account.name, f"{waiting[account.name]} replies waiting for auth"))
    return report
