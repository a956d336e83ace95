"""Connecting to the team database: URL checks, the password's source, and one-line connection errors.

The password comes from the URL, else libpq's own sources (PGPASSWORD, PGPASSFILE / ~/.pgpass), else
the secret store (OS keyring or the 0600 file) under `secret_name(url)`; sslmode and the other libpq
settings ride in the URL's query. No error or log line ever shows the password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialdesk.errors import UserError
from socialdesk.secrets import MASK, SecretStore, redact, remember

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT = 10
# The server ends a session of ours left idle inside a transaction this long (a desk's laptop asleep
# mid-transaction, a process stopped): an open writing transaction holds back the whole team's change
# feed (team/feed.py), and none of ours waits on anything but the database inside one.
IDLE_IN_TRANSACTION_S = 30
_PASSWORD_IN_URL = re.compile(r"(://[^:/@?#]*:)([^@/?#]*)(@)")


def safe_url(url: str) -> str:
    """The URL with any password masked (for messages)."""
    return _PASSWORD_IN_URL.sub(lambda m: m.group(1) + MASK + m.group(3), url)


def parse_url(url: str, where: str = "team url") -> dict[str, str]:
    """The libpq parameters of a team database URL.

    Args:
        url: postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=...].
        where: what to name in an error (the config key, the command argument).

    Raises:
        UserError: one line naming `where`, with the password masked.
    """
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    shown = safe_url(url)
    if not url.startswith(SCHEMES):
        raise UserError(f"{where}: not a PostgreSQL URL (postgresql://USER@HOST:PORT/DBNAME): {shown!r:.120}")
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except ProgrammingError as exc:
        reason = redact(str(exc).strip().splitlines()[0], [url])
        raise UserError(f"{where}: not a valid PostgreSQL URL ({reason}): {shown!r:.120}") from None
    port = params.get("port", "")
    if port and not all(p.isdigit() and 0 < int(p) < 65536 for p in port.split(",")):
        raise UserError(f"{where}: the port must be a number from 1 to 65535: {shown!r:.120}")
    if not params.get("dbname"):
        raise UserError(f"{where}: name the database (postgresql://USER@HOST:PORT/DBNAME): {shown!r:.120}")
    return params


def secret_name(params: Mapping[str, str]) -> str:
    """Where the secret store keeps the password of this user on this database."""
    user = params.get("user") or os.environ.get("PGUSER", "")
    host = params.get("host", "localhost")
    port = params.get("port", "5432")
    return f"team:{user}@{host}:{port}/{params.get('dbname', '')}"


def connect_params(url: str, secrets: SecretStore | None = None, where: str = "team url") -> dict[str, Any]:
    """The keyword arguments for psycopg.connect: the URL's parameters plus the stored password."""
    params: dict[str, Any] = dict(parse_url(url, where))
    if "password" not in params and not os.environ.get("PGPASSWORD"):
        stored = (secrets or SecretStore()).get(secret_name(params)) if _passfile_silent(params) else None
        if stored:
            params["password"] = stored
    if "password" in params:
        remember(params["password"])  # so that redact() masks it in any message
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    params.setdefault("application_name", "socialdesk")
    # First, so that the URL's own `options` can set it otherwise (libpq applies them in order).
    bound = f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_S * 1000}"
    params["options"] = f"{bound} {params.get('options', '')}".strip()
    return params


def _passfile_silent(params: Mapping[str, str]) -> bool:
    """True unless libpq's password file has a line for this connection (then it is the source).

    Lines are host:port:database:user:password, `*` matching anything and `\\` escaping `:` (libpq's
    rules); a file without a matching line leaves the password to the secret store.
    """
    path = params.get("passfile") or os.environ.get("PGPASSFILE") or os.path.expanduser("~/.pgpass")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    import getpass

    wanted = (
        params.get("host") or os.environ.get("PGHOST") or "localhost",
        params.get("port") or os.environ.get("PGPORT") or "5432",
        params.get("dbname", ""),
        params.get("user") or os.environ.get("PGUSER") or getpass.getuser(),
    )
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        raw = re.split(r"(?<!\\):", line, maxsplit=4)
        fields = [f.replace("\\:", ":").replace("\\\\", "\\") for f in raw]
        if len(fields) == 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted, strict=True)):
            return False
    return True


def describe(exc: BaseException, url: str) -> str:
    """A connection failure as one line: what went wrong with which database, without the password."""
    text = redact(str(exc), [url])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    shown = safe_url(url)
    if "Connection refused" in text:
        return f"team database {shown}: connection refused (is PostgreSQL running there and listening?)"
    if "password authentication failed" in text or "no password supplied" in text:
        user = re.search(r'for user "([^"]*)"', text)
        name = user.group(1) if user else _user_of(url)
        who = f" for user {name}" if name else ""
        return (
            f"team database {shown}: authentication failed{who} (check the password: the URL, "
            "PGPASSFILE, or `socialdesk team password`)"
        )
    missing = re.search(r'database "([^"]*)" does not exist', text)
    if missing:
        return f"team database {shown}: database {missing.group(1)} does not exist (create it: createdb)"
    if "failed to resolve host" in text or "could not translate host name" in text:
        return f"team database {shown}: unknown host ({first})"
    if "timeout expired" in text:
        return f"team database {shown}: no answer within {CONNECT_TIMEOUT} s (host, port, firewall?)"
    first = re.sub(r"^connection failed: ", "", first)
    first = re.sub(r'^connection to server at "[^"]*", port \d+ failed: (FATAL:\s*)?', "", first)
    return f"team database {shown}: {first}"


def _user_of(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    try:
        return unquote(urlsplit(url).username or "") or os.environ.get("PGUSER", "")
    except ValueError:
        return ""


def connect(
    url: str, secrets: SecretStore | None = None, where: str = "team url", autocommit: bool = True
) -> psycopg.Connection:
    """Open one connection to the team database.

    Raises:
        UserError: a bad URL or a failed connection, in one line.
    """
    import psycopg

    params = connect_params(url, secrets, where)
    try:
        return psycopg.connect(autocommit=autocommit, **params)
    except psycopg.Error as exc:
        raise UserError(describe(exc, url)) from None


def open_pool(
    url: str, secrets: SecretStore | None = None, min_size: int = 1, max_size: int = 4
) -> ConnectionPool:
    """A psycopg connection pool on the team database (autocommit connections), opened and checked.

    Raises:
        UserError: a bad URL, or the first connection failed.
    """
    import psycopg
    from psycopg_pool import ConnectionPool

    params = connect_params(url, secrets)
    pool: ConnectionPool = ConnectionPool(
        kwargs={**params, "autocommit": True},
        min_size=min_size,
        max_size=max_size,
        open=False,
        check=ConnectionPool.check_connection,
        name="socialdesk-team",
    )
    try:
        # One connection first, to fail fast with the reason instead of a pool timeout.
        psycopg.connect(**params).close()
    except psycopg.Error as exc:
        raise UserError(describe(exc, url)) from None
    pool.open()
    return pool
