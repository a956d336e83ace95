"""An XRPC session on a PDS: app-password login, the stored session reused and refreshed, calls.

Logging in (`com.atproto.server.createSession`) is itself rate limited, so the session is kept in
a `SessionStore` and refreshed with `refreshSession`; a call whose access token has expired
refreshes once and is repeated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialdesk.connectors.base import AuthError, SessionData, SessionStore, TransientError
from socialdesk.connectors.http import Api, HttpError, Query
from socialdesk.secrets import remember


class XrpcSession:
    """One account's session on its PDS, and the calls made with it.

    Args:
        api: the PDS's HTTP API (its `secrets` learn each token, to keep them out of errors).
        account: the account's name (for messages).
        handle: the handle to log in with.
        secret: the app password.
    """

    def __init__(self, api: Api, account: str, handle: str, secret: Any) -> None:
        self.api = api
        self.account = account
        self.handle = handle
        self.secret = secret
        self.store: SessionStore | None = None
        self.session: SessionData | None = None

    def _remember(self, data: object) -> SessionData:
        if not isinstance(data, dict) or not data.get("accessJwt") or not data.get("did"):
            raise TransientError("Bluesky: the session answer had an unexpected shape")
        session = {k: data.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")}
        for key in ("accessJwt", "refreshJwt"):
            remember(session[key])
        self.api.secrets += [str(session["accessJwt"]), str(session["refreshJwt"] or "")]
        self.session = session
        if self.store is not None:
            self.store.save(session)
        return session

    def login(self) -> SessionData:
        """A new session from the app password.

        Raises:
            AuthError: there is no app password, or the PDS refused it.
        """
        if not self.secret:
            raise AuthError(
                f"Bluesky account {self.account!r} has no app password: run `socialdesk accounts add`"
            )
        data = self.api.post_json(
            "/xrpc/com.atproto.server.createSession",
            {"identifier": self.handle, "password": str(self.secret)},
            idempotent=True,  # a second session is harmless
            creates=False,
        )
        return self._remember(data)

    def load_stored(self) -> None:
        """Take up the stored session, if there is one and none is open."""
        if self.session is None and self.store is not None:
            stored = self.store.load() or {}
            access, refresh = stored.get("accessJwt"), stored.get("refreshJwt")
            if isinstance(access, str) and access:  # a stored session of another shape is not used
                self.session = stored
                self.api.secrets += [access, refresh if isinstance(refresh, str) else ""]

    def current(self) -> SessionData:
        """The open session: the one in use, else the stored one, else a new login."""
        self.load_stored()
        return self.session or self.login()

    def refresh(self) -> SessionData:
        """A fresh session from the refresh token; a new login when it is refused."""
        refresh = (self.session or {}).get("refreshJwt")
        if refresh:
            try:
                data = self.api.post_json(
                    "/xrpc/com.atproto.server.refreshSession",
                    None,
                    headers={"Authorization": f"Bearer {refresh}"},
                    idempotent=True,
                    creates=False,
                )
                return self._remember(data)
            except (AuthError, HttpError):
                pass
        self.session = None
        return self.login()

    def call(
        self,
        method: str,
        nsid: str,
        params: Query | None = None,
        body: object = None,
        idempotent: bool | None = None,
        extra_headers: Mapping[str, str] | None = None,
        *,
        output: bool = True,
    ) -> Any:
        """Call an XRPC method with the session, refreshing it once when it has expired.

        Args:
            output: False for a procedure whose lexicon has no output (muteActor): the PDS answers
                200 with an empty body, which is not read as JSON; the call returns None.
        """
        for attempt in range(2):
            session = self.current()
            headers = {"Authorization": f"Bearer {session['accessJwt']}", **(extra_headers or {})}
            try:
                response = self.api.request(
                    method,
                    f"/xrpc/{nsid}",
                    params=params,
                    json_body=body,
                    headers=headers,
                    idempotent=idempotent,
                )
                return self.api.json(response) if output else None
            except (AuthError, HttpError) as exc:
                expired = isinstance(exc, AuthError) or exc.code in ("ExpiredToken", "InvalidToken")
                if attempt or not expired:
                    raise
                self.refresh()
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def did(self) -> str:
        """Our account's DID (logs in when needed)."""
        return str(self.current()["did"])

    @property
    def open_did(self) -> str | None:
        """Our DID as the open session says it (None: no session open yet; never logs in)."""
        did = (self.session or {}).get("did")
        return did if isinstance(did, str) else None

    @property
    def shown_handle(self) -> str:
        """Our handle as the PDS last said it, else as configured."""
        return str((self.session or {}).get("handle") or self.handle)
