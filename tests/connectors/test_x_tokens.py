"""X user tokens expire after two hours: the refresh token renews them before that, and rotates."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from socialdesk.connectors.base import AuthError, OutgoingReply
from socialdesk.connectors.x import XConnector
from socialdesk.secrets import SecretStore
from socialdesk.services.accounts import StoredSession
from socialdesk.testing import Loopback
from tests.connectors.fake_x import FakeX

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(loopback_server: Loopback, clock: Clock) -> FakeX:
    fake = FakeX(loopback_server)
    fake.token_clock = clock
    return fake


def connect(
    server: Loopback, secret: str, store: Any, clock: Clock, client_id: str = "x-client-1"
) -> XConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(2.0))
    connector = XConnector("brand-x", {"client_id": client_id}, secret, client)
    connector.session_store = store
    connector.clock = clock
    return connector


def test_the_access_token_is_refreshed_before_it_expires_and_the_new_pair_kept(
    fake: FakeX, loopback_server: Loopback, clock: Clock, tmp_path: Any
) -> None:
    answer = fake.issue()  # what the token endpoint gave when the agent authorised the app
    secrets = SecretStore(backend="file", path=tmp_path / "secrets.json")
    secrets.set("brand-x", json.dumps(answer))
    store = StoredSession(secrets, "brand-x")
    connector = connect(loopback_server, secrets.get("brand-x") or "", store, clock)
    fake.mention()
    assert connector.fetch(None).posts  # the first token is still good: no refresh
    assert loopback_server.calls("POST", "/2/oauth2/token") == []

    clock.now += 2 * 3600 - 60  # a minute before X expires the token
    connector.send(OutgoingReply("k1", "We're on it", None))
    (refresh,) = loopback_server.calls("POST", "/2/oauth2/token")
    form = dict(pair.split("=") for pair in refresh.body.decode().split("&"))
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": answer["refresh_token"],
        "client_id": "x-client-1",
    }
    kept = store.load()
    assert kept is not None and kept["access_token"] == "x-access-2-secretvalue"
    assert kept["refresh_token"] == "x-refresh-2-secretvalue" and kept["expires_at"] == clock.now + 7200
    assert answer["refresh_token"] not in fake.refresh_tokens  # rotated: the first one is spent

    # The next run (a new connector, the same stored secret) starts from the kept pair.
    clock.now += 3600
    again = connect(loopback_server, secrets.get("brand-x") or "", store, clock)
    again.send(OutgoingReply("k2", "Still on it", None))
    assert len(loopback_server.calls("POST", "/2/oauth2/token")) == 1
    clock.now += 3600  # that pair is due in turn
    again.send(OutgoingReply("k3", "Done", None))
    assert len(loopback_server.calls("POST", "/2/oauth2/token")) == 2
    assert store.load()["refresh_token"] == "x-refresh-3-secretvalue"  # type: ignore[index]


def test_a_401_before_the_expiry_refreshes_once_and_sends_once(
    fake: FakeX, loopback_server: Loopback, clock: Clock
) -> None:
    answer = fake.issue()
    connector = connect(loopback_server, json.dumps(answer), None, clock)
    fake.access[answer["access_token"]] = 0.0  # revoked on X's side
    connector.send(OutgoingReply("k", "We're on it", None))
    assert len(loopback_server.calls("POST", "/2/oauth2/token")) == 1
    assert fake.copies("We're on it") == 1


def test_a_refused_refresh_needs_auth_and_never_shows_a_token(
    fake: FakeX, loopback_server: Loopback, clock: Clock
) -> None:
    answer = fake.issue()
    fake.refresh_tokens.clear()  # e.g. the user revoked the app
    connector = connect(loopback_server, json.dumps(answer), None, clock)
    clock.now += 7200
    with pytest.raises(AuthError) as refused:
        connector.send(OutgoingReply("k", "We're on it", None))
    message = str(refused.value)
    assert "refresh token was refused" in message and "accounts add" in message
    assert "secretvalue" not in message and "secretvalue" not in repr(connector.tokens._tokens)


def test_a_bare_access_token_still_works_until_it_expires(
    fake: FakeX, loopback_server: Loopback, clock: Clock
) -> None:
    answer = fake.issue()
    connector = connect(loopback_server, answer["access_token"], None, clock)
    connector.send(OutgoingReply("k", "We're on it", None))
    clock.now += 7200
    with pytest.raises(AuthError, match="needs auth"):
        connector.send(OutgoingReply("k2", "Again", None))
    assert loopback_server.calls("POST", "/2/oauth2/token") == []
