"""A Mastodon-shaped status endpoint on the loopback server, and connectors that post to it.

`FakeMastodon` serves POST /api/v1/statuses (honouring Idempotency-Key like Mastodon, or ignoring it
like a network without one) and GET /api/v1/accounts/1/statuses; `script` makes the next posts fail
the ways networks do: after creating the status (dropped connection, 5xx, a hang) or before.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import httpx

from socialdesk.connectors.base import (
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    SendResult,
)
from socialdesk.connectors.http import Api, RetryPolicy, mastodon_reset
from socialdesk.testing import Loopback, Reply, Request

# Behaviours of the next POSTs: created = the status exists on the server afterwards.
OK = "ok"
DROP_AFTER_CREATE = "drop_after_create"  # created, then the connection drops (no answer)
DROP_BEFORE_CREATE = "drop_before_create"  # connection drops, nothing created
ERROR_AFTER_CREATE = "502_after_create"  # created, then a 502 from a proxy
ERROR_BEFORE_CREATE = "503_before_create"  # 503, nothing created
RATE_LIMITED = "429"
HANG_AFTER_CREATE = "hang_after_create"  # created, then no answer for a long time


class FakeMastodon:
    """Server-side state: the statuses that really exist, in creation order."""

    def __init__(self, honour_keys: bool = True) -> None:
        self.honour_keys = honour_keys
        self.statuses: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.script: deque[str] = deque()
        self.posts_received = 0
        self.created = threading.Event()  # set whenever a status is created
        self.lock = threading.Lock()
        self.server: Loopback | None = None
        self.delay = 0.0  # answer every successful post this late (widens the window for kills)

    def start(self) -> Loopback:
        """Serve on a new loopback port (a restarted server keeps the statuses)."""
        self.server = Loopback().start()
        self.server.route("POST", "/api/v1/statuses", self._post)
        self.server.route("GET", "/api/v1/accounts/1/statuses", lambda req: list(reversed(self.statuses)))
        self.server.route(
            "GET", "/api/v1/accounts/verify_credentials", lambda req: {"id": "1", "acct": "acme"}
        )
        return self.server

    def stop(self) -> None:
        """Go away (connections are refused)."""
        if self.server is not None:
            self.server.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def texts(self) -> list[str]:
        """The text of every status that exists, oldest first."""
        return [s["content"] for s in self.statuses]

    def _post(self, request: Request) -> Reply | Any:
        body = request.json()
        key = request.headers.get("idempotency-key", "")
        with self.lock:
            self.posts_received += 1
            if self.honour_keys and key in self.by_key:
                return self.by_key[key]  # Mastodon answers a repeat with the status it made
            behaviour = self.script.popleft() if self.script else OK
            if behaviour == RATE_LIMITED:
                return Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "30"})
            if behaviour == ERROR_BEFORE_CREATE:
                return Reply(503, {"error": "Service unavailable"})
            if behaviour == DROP_BEFORE_CREATE:
                return Reply(drop=True)
            status = {
                "id": str(1000 + len(self.statuses)),
                "url": f"https://m.example/@acme/{1000 + len(self.statuses)}",
                "content": body["status"],
                "in_reply_to_id": body.get("in_reply_to_id"),
                "visibility": body.get("visibility", "public"),
            }
            self.statuses.append(status)
            if self.honour_keys and key:
                self.by_key[key] = status
        self.created.set()
        if behaviour == DROP_AFTER_CREATE:
            return Reply(drop=True)
        if behaviour == ERROR_AFTER_CREATE:
            return Reply(502, "<html>Bad gateway</html>")
        if behaviour == HANG_AFTER_CREATE:
            return Reply(delay=60, drop=True)
        return Reply(200, status, delay=self.delay) if self.delay else status


_NO_RETRY = RetryPolicy(tries=1, base_delay=0.0, sleep=lambda s: None)


class LoopbackMastodon(Connector):
    """A minimal Mastodon-like sender for outbox tests (settings: base_url, timeout)."""

    name = "mastodon"
    display_name = "Mastodon"
    capabilities = Capabilities(max_length=500, counting="mastodon", can_reply=True, can_dm=True)

    def __init__(self, account: str = "", settings: Any = None, secret: str | None = None, http: Any = None):
        super().__init__(account, settings, secret, http)
        client = httpx.Client(
            base_url=self.settings["base_url"], timeout=float(self.settings.get("timeout", 2.0))
        )
        self.http = client
        self.api = Api(client, self.display_name, mastodon_reset, policy=_NO_RETRY)

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], cursor)

    def send(self, reply: OutgoingReply) -> SendResult:
        body = {
            "status": reply.text,
            "in_reply_to_id": reply.in_reply_to,
            "visibility": "direct" if reply.dm else "public",
        }
        data = self.api.post_json(
            "/api/v1/statuses", body, headers={"Idempotency-Key": reply.idempotency_key}
        )
        return SendResult(native_id=data["id"], url=data["url"])


class LoopbackX(LoopbackMastodon):
    """A sender for a network without idempotency keys: reconciliation reads recent posts."""

    name = "x"
    display_name = "X"
    capabilities = Capabilities(max_length=280, counting="x-weighted", can_reply=True, can_dm=False)

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        for status in self.api.get_json("/api/v1/accounts/1/statuses"):
            if status["content"] == reply.text and status["in_reply_to_id"] == reply.in_reply_to:
                return SendResult(native_id=status["id"], url=status["url"])
        return None
