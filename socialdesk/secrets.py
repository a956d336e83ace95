"""Account secrets: the OS keyring when one is usable, else a 0600 JSON file; plus redaction.

Secrets are never logged, echoed or put in an error. `Secret` is a `str` whose repr is masked, so
a crash screen that prints locals (Textual's does) shows `'***'` instead of the token, and
`redact()` scrubs any known secret out of a message before it is raised or shown.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, Protocol

from socialdesk import locations

SERVICE = "socialdesk"
MASK = "***"

_known: set[str] = set()
_known_lock = threading.Lock()


class Secret(str):
    """A secret string: behaves as its value, but its repr never shows it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"'{MASK}'"

    def __rich_repr__(self) -> Iterable[Any]:  # rich's pretty printer (crash screens)
        yield MASK


def remember(value: str | None) -> Secret | None:
    """Mark `value` as a secret for `redact()` and return it wrapped (None stays None)."""
    if not value:
        return None
    with _known_lock:
        _known.add(str(value))
    return Secret(value)


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """Replace every known secret (and every value in `extra`) in `text` with `***`."""
    with _known_lock:
        values = set(_known)
    values.update(str(v) for v in extra if v)
    # Longest first so a secret containing another is masked whole.
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= 4 and value in text:
            text = text.replace(value, MASK)
    return text


class KeyringBackend(Protocol):
    """What the secret store uses of a keyring backend (`keyring.backend.KeyringBackend`)."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


def _usable_keyring() -> KeyringBackend | None:
    """The OS keyring backend when a real one is available (not the fail/null/plaintext ones)."""
    if os.environ.get("SOCIALDESK_SECRETS") == "file":
        return None
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop the desk
        return None
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    name = type(backend).__module__
    if "null" in name or "plaintext" in name.lower():
        return None
    return backend


class SecretStore:
    """Where account secrets live.

    Args:
        backend: a keyring backend to use; None detects the OS keyring ("file" forces the file).
        path: the fallback file (default `locations.secrets_file()`).
    """

    def __init__(
        self, backend: KeyringBackend | Literal["file"] | None = None, path: Path | None = None
    ) -> None:
        self.backend = _usable_keyring() if backend is None else (None if backend == "file" else backend)
        self.path = path or locations.secrets_file()
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        """Which storage is in use, for `doctor` and `accounts add`."""
        if self.backend is not None:
            return f"OS keyring ({type(self.backend).__module__}.{type(self.backend).__name__})"
        return f"file {self.path} (mode 0600)"

    @property
    def notice(self) -> str | None:
        """A warning to show when secrets fall back to the file, else None."""
        if self.backend is not None:
            return None
        return (
            f"no OS keyring available: secrets are kept in {self.path}, readable only by you (mode 0600). "
            "Install and unlock a keyring (e.g. gnome-keyring, KWallet, macOS Keychain) to use it instead."
        )

    def get(self, account: str) -> Secret | None:
        """The secret stored for `account`, or None."""
        if self.backend is not None:
            return remember(self.backend.get_password(SERVICE, account))
        return remember(self._read().get(account))

    def set(self, account: str, value: str) -> None:
        """Store (replace) the secret of `account`."""
        remember(value)
        if self.backend is not None:
            self.backend.set_password(SERVICE, account, str(value))
            return
        with self._lock:
            data = self._read()
            data[account] = str(value)
            self._write(data)

    def delete(self, account: str) -> bool:
        """Forget the secret of `account`; True when there was one."""
        if self.backend is not None:
            try:
                self.backend.delete_password(SERVICE, account)
            except Exception:  # keyring raises PasswordDeleteError when absent
                return False
            return True
        with self._lock:
            data = self._read()
            if account not in data:
                return False
            del data[account]
            self._write(data)
            return True

    def _read(self) -> dict[str, str]:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Someone widened the permissions: narrow them again before reading.
            os.chmod(self.path, 0o600)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write a 0600 temp file and rename it over: the file is never briefly world-readable.
        fd, tmp = tempfile.mkstemp(prefix=".secrets-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
