"""X OAuth 2.0 user tokens: read the stored token set, refresh it before it expires, keep the new pair.

An X user access token lives two hours. With the `offline.access` scope X also issues a refresh
token, which `POST /2/oauth2/token` (grant_type=refresh_token, the app's client_id) exchanges for a
new access token and a new refresh token: refresh tokens rotate, the old one stops working. So the
new pair is saved (in the secret store, next to the account's secret) before it is used, and
connectors refreshing the same account in one process take turns.

The account's secret is either a bare access token (no refresh: it needs auth again after two
hours) or the JSON X's token endpoint answered ({"access_token", "refresh_token", "expires_in"}).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable

import httpx
import msgspec

from socialdesk.connectors.base import AuthError, SessionData, SessionStore, TransientError
from socialdesk.secrets import Secret, redact, remember

TOKEN_PATH = "/2/oauth2/token"
REFRESH_MARGIN = 300.0  # seconds before expiry at which the access token is renewed

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class Tokens(msgspec.Struct):
    """The token set in use: the access token, the refresh token (if any), when the access expires."""

    access: Secret
    refresh: Secret | None = None
    expires_at: float | None = None

    def due(self, now: float) -> bool:
        """Whether the access token expires within the margin (and can be refreshed)."""
        return (
            self.refresh is not None
            and self.expires_at is not None
            and now >= self.expires_at - REFRESH_MARGIN
        )


def seed_of(secret: str) -> str:
    """A fingerprint of the account's stored secret: a saved pair derived from another secret is stale."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def from_answer(data: object, now: float, fallback_refresh: Secret | None = None) -> Tokens:
    """Tokens from X's token endpoint answer (expires_in) or our saved form (expires_at).

    Raises:
        ValueError: no access token in it.
    """
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("access_token"), str)
        or not data["access_token"]
    ):
        raise ValueError("no access_token")
    access = remember(data["access_token"])
    refresh = remember(data.get("refresh_token")) if isinstance(data.get("refresh_token"), str) else None
    if isinstance(data.get("expires_at"), int | float):
        expires: float | None = float(data["expires_at"])
    elif isinstance(data.get("expires_in"), int | float):
        expires = now + float(data["expires_in"])
    else:
        expires = None
    assert access is not None
    return Tokens(access, refresh or fallback_refresh, expires)


def from_secret(secret: str, now: float) -> Tokens:
    """The account's secret: a bare access token, or the JSON the token endpoint answered."""
    text = secret.strip()
    if text.startswith("{"):
        try:
            return from_answer(json.loads(text), now)
        except ValueError:
            pass
    access = remember(text)
    assert access is not None
    return Tokens(access)


def saved(tokens: Tokens, seed: str) -> SessionData:
    """The form kept in the session store."""
    return {
        "access_token": str(tokens.access),
        "refresh_token": str(tokens.refresh) if tokens.refresh else None,
        "expires_at": tokens.expires_at,
        "seed": seed,
    }


class TokenKeeper:
    """Hands out a valid access token for one X account, refreshing and saving as needed.

    Args:
        account: the account's name (refreshes of one account take turns).
        secret: the account's stored secret.
        client_id: the app's OAuth 2.0 client id ("" : refreshing is impossible).
        http: the account's httpx client (bound to the API's base URL).
        clock: current time.
    """

    def __init__(
        self,
        account: str,
        secret: str,
        client_id: str,
        http: httpx.Client,
        clock: Callable[[], float],
    ) -> None:
        self.account = account
        self.seed = seed_of(secret)
        self.client_id = client_id
        self.http = http
        self.clock = clock
        self.store: SessionStore | None = None
        self._secret = secret
        self._tokens: Tokens | None = None
        with _locks_guard:
            self._lock = _locks.setdefault(account, threading.Lock())

    def secrets(self) -> list[str]:
        """Every token value in use, for redaction."""
        tokens = self._tokens
        return [str(v) for v in (tokens.access, tokens.refresh) if v] if tokens else []

    def _load(self) -> Tokens:
        """The newest pair: the one saved for this secret, else what we hold, else the secret itself.

        The secret is read once (its expires_in counts from then), never again after a refresh.
        """
        stored = self.store.load() if self.store is not None else None
        if isinstance(stored, dict) and stored.get("seed") == self.seed:
            try:
                return from_answer(stored, self.clock())
            except ValueError:
                pass
        return self._tokens or from_secret(self._secret, self.clock())

    @property
    def can_refresh(self) -> bool:
        """Whether a refresh token and a client id are there to renew the access token."""
        tokens = self._tokens or self._load()
        return bool(tokens.refresh and self.client_id)

    def access(self) -> str:
        """A current access token (renewed first when it expires within the margin)."""
        if self._tokens is None:
            self._tokens = self._load()
        if self._tokens.due(self.clock()) and self.client_id:
            self.refresh()
        return str(self._tokens.access)

    def refresh(self, force: bool = False) -> None:
        """Exchange the refresh token for a new pair and save it before anyone uses it.

        Another connector of the same account may have refreshed first: its saved pair is taken
        instead (the refresh token we hold was spent by it).

        Raises:
            AuthError: no refresh token or client id, or X refused the refresh token.
        """
        with self._lock:
            current = self._load()
            held = self._tokens
            if held is not None and current.access != held.access and not current.due(self.clock()):
                self._tokens = current  # renewed by someone else meanwhile
                return
            if not force and not current.due(self.clock()):
                self._tokens = current
                return
            if not current.refresh or not self.client_id:
                raise AuthError(
                    f"X account {self.account!r}: the access token expired and cannot be refreshed "
                    "(store the token endpoint's JSON with its refresh_token and set client_id)"
                )
            self._tokens = self._exchange(current)
            if self.store is not None:
                self.store.save(saved(self._tokens, self.seed))

    def _exchange(self, current: Tokens) -> Tokens:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": str(current.refresh),
            "client_id": self.client_id,
        }
        hide = [str(current.access), str(current.refresh)]
        try:
            response = self.http.post(TOKEN_PATH, data=form)
        except httpx.HTTPError as exc:
            # Nothing is known to be spent: the same refresh token is tried again next time.
            raise TransientError(f"X: token refresh failed ({type(exc).__name__})") from None
        if response.status_code in (400, 401):
            try:
                detail = str(response.json().get("error_description") or response.json().get("error") or "")
            except ValueError:
                detail = ""
            raise AuthError(
                redact(f"X: the refresh token was refused ({response.status_code} {detail})".strip(), hide)
                + f"; run `socialdesk accounts add {self.account}` again"
            )
        if response.status_code >= 300:
            raise TransientError(f"X: token refresh failed ({response.status_code})")
        try:
            return from_answer(response.json(), self.clock(), fallback_refresh=current.refresh)
        except ValueError:
            raise TransientError("X: the token endpoint answered without an access token") from None
