"""Retry, rate-limit header parsing and error mapping in the shared HTTP layer."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest

from socialdesk.connectors.base import AuthError, PermanentError, SendUncertain, TransientError
from socialdesk.connectors.http import Api, RetryPolicy, bluesky_reset, mastodon_reset, retry_after, x_reset
from socialdesk.testing import Loopback, Reply


def test_reset_headers_of_each_network() -> None:
    now = 1_700_000_000.0
    iso = datetime.fromtimestamp(now + 300, UTC).isoformat().replace("+00:00", ".000Z")
    assert mastodon_reset(httpx.Headers({"X-RateLimit-Reset": iso}), now) == now + 300
    assert mastodon_reset(httpx.Headers({}), now) is None
    assert bluesky_reset(httpx.Headers({"RateLimit-Reset": str(int(now + 60))}), now) == now + 60
    assert bluesky_reset(httpx.Headers({"Retry-After": "30", "RateLimit-Reset": "1"}), now) == now + 30
    assert x_reset(httpx.Headers({"x-rate-limit-reset": str(int(now + 900))}), now) == now + 900
    assert retry_after(httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), now) == 1445412480.0
    assert retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    delays = [policy.delay(a) for a in range(6)]
    assert 0.5 <= delays[0] <= 1.0 and 1.0 <= delays[1] <= 2.0 and all(d <= 4.0 for d in delays)


@pytest.fixture
def api(loopback_server: Loopback) -> Api:
    client = httpx.Client(base_url=loopback_server.url, timeout=httpx.Timeout(0.5))
    loopback_server.route("GET", "/ok", lambda r: {"ok": True})
    loopback_server.route("POST", "/post", lambda r: {"id": "1"})
    return Api(client, "Test", secrets=["tok-123456"])


def test_get_retries_dropped_connections(api: Api, loopback_server: Loopback) -> None:
    loopback_server.fail_next(Reply(drop=True), 2)
    assert api.get_json("/ok") == {"ok": True}
    assert len(loopback_server.calls("GET", "/ok")) == 3


def test_read_timeout_after_post_is_uncertain(api: Api, loopback_server: Loopback) -> None:
    loopback_server.fail_next(Reply(200, {"id": "1"}, delay=1.0))
    with pytest.raises(SendUncertain):
        api.post_json("/post", {"text": "hi"})
    assert len(loopback_server.calls("POST", "/post")) == 1


def test_connect_failure_is_transient_never_uncertain() -> None:
    client = httpx.Client(base_url="http://127.0.0.1:9", timeout=0.5)
    api = Api(client, "Test", policy=RetryPolicy(base_delay=0, sleep=lambda s: None))
    with pytest.raises(TransientError) as caught:
        api.post_json("/post", {})
    assert not isinstance(caught.value, SendUncertain)


def test_status_mapping_and_redaction(api: Api, loopback_server: Loopback) -> None:
    loopback_server.fail_next(Reply(403, {"error": "Forbidden: token tok-123456 revoked"}))
    with pytest.raises(AuthError) as caught:
        api.get_json("/ok")
    assert "tok-123456" not in str(caught.value) and "***" in str(caught.value)
    loopback_server.fail_next(Reply(422, {"error": "Validation failed: Text too long"}))
    with pytest.raises(PermanentError, match="Text too long"):
        api.post_json("/post", {})


def test_rate_limit_without_headers_waits_a_minute(api: Api, loopback_server: Loopback) -> None:
    from socialdesk.connectors.base import RateLimited

    loopback_server.fail_next(Reply(429, ""))
    with pytest.raises(RateLimited) as caught:
        api.get_json("/ok")
    assert caught.value.until >= time.time() + 50
