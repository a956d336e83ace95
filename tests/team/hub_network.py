"""A Mastodon server for the hub's tests: the reading side of tests/connectors and the sending side of
tests/outbox (with their real servers' deviations and faults) on one loopback port, so one connector
syncs mentions from it and answers them, as a hub does."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import psycopg

from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.testing import Request
from tests.connectors.fake_mastodon_fetch import FakeMastodonFetch, account
from tests.outbox import fake_mastodon as fm

TOKEN = "hub-test-token-0123456789"


class HubMastodon:
    """Mentions arrive through notifications (FakeMastodonFetch); replies are created, looked up and
    fail as tests/outbox/fake_mastodon.py makes them (honour_keys=False: GoToSocial and Takahē,
    which ignore Idempotency-Key)."""

    def __init__(self, honour_keys: bool = True) -> None:
        self.sender = fm.FakeMastodon(honour_keys=honour_keys)
        server = self.sender.start()
        self.reader = FakeMastodonFetch(server, now=time.time(), me=fm.ME)
        # The sender answers what it knows better: the instance (it names the software, which tells
        # whether a resend is harmless) and the statuses it holds (ours, and the mentions it answers).
        server.route("GET", "/api/v2/instance", lambda r: self.sender._read(self.sender._instance))
        server.route_prefix("GET", "/api/v1/statuses", self._status)
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url

    def mention(self, n: int, text: str = "", age: float = 60.0) -> dict[str, Any]:
        """A customer (user 100 + n: our own account's id is 1) mentions us; both sides know the status."""
        status = self.reader.post(account(100 + n), text, age=age)
        self.sender.customers[status["id"]] = status
        self.sender.accounts[status["account"]["acct"].lower()] = status["account"]
        return status

    def _status(self, request: Request) -> Any:
        sid = request.path.removeprefix("/api/v1/statuses/").partition("/")[0]
        if sid in self.sender.customers or any(s["id"] == sid for s in self.sender.statuses):
            return self.sender._read(lambda: self.sender._status_route(request))
        return self.reader.get_status(request)

    def texts(self) -> list[str]:
        """Our replies that exist on the server, oldest first."""
        return self.sender.texts()

    def connector(self, account_name: str = "support", timeout: float = 2.0) -> MastodonConnector:
        client = httpx.Client(base_url=self.url, timeout=timeout)
        return MastodonConnector(account_name, {"base_url": self.url}, TOKEN, client)

    def stop(self) -> None:
        self.sender.stop()


def queue_reply(conn: psycopg.Connection, native_id: str, text: str, account_name: str = "support") -> int:
    """A reply to a stored post, queued in the shared outbox as a desk queues one (no undo window)."""
    row = conn.execute(
        "INSERT INTO replies (post_id, conversation_id, network, account, text, state, idempotency_key, "
        "agent) SELECT id, conversation_id, network, %s, %s, 'queued', %s, 'ann' FROM posts "
        "WHERE network = 'mastodon' AND native_id = %s RETURNING id",
        (account_name, text, uuid.uuid4().hex, native_id),
    ).fetchone()
    assert row is not None, f"no post {native_id} in the team database"
    return int(row[0])
