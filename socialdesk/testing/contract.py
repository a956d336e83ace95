"""The connector contract: pytest tests every connector, ours or a third party's, must pass.

Subclass `ConnectorContract` in a test module (the class name must start with `Test`), serve a
fake of your network on the `loopback` server and implement the hooks:

    class TestMyNetwork(ConnectorContract):
        connector_class = MyNetwork

        def serve(self, server):              # install routes; at least two posts to fetch
            ...
        def make_connector(self, server):     # a connector bound to server.url
            return MyNetwork("acct", {"base_url": server.url}, "token", httpx.Client(base_url=server.url))
        def add_post(self, server):           # one new post appears; return its native id
            ...
        def add_malformed(self, server):      # one new item with a broken shape, next to a good one
            ...
        def rate_limit_headers(self, reset_at):   # the 429 headers your network sends
            return {"Retry-After": str(int(reset_at - time.time()))}

What is checked: capabilities are declared sensibly; a sync stores posts; syncing again from
scratch duplicates nothing; a new connector resumes from the stored cursor and fetches only the new
post; 401 -> AuthError, 429 -> RateLimited(until) from the headers, 5xx retried then TransientError,
a malformed body -> TransientError, a malformed item quarantined with the rest stored; and no error
message ever contains the secret.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from socialdesk.connectors import http as connector_http
from socialdesk.connectors.base import (
    COUNTING_RULES,
    MONITORING_KINDS,
    AuthError,
    Connector,
    ConnectorError,
    RateLimited,
    TransientError,
)
from socialdesk.store import Store
from socialdesk.testing.loopback import Loopback, Reply

SECRET = "s3cr3t-token-never-shown"
MAX_ROUNDS = 50


def sync(connector: Connector, store: Store, source: str) -> tuple[list[int], int]:
    """Run fetch until the connector has nothing more, storing posts, cursor and quarantine.

    Returns:
        The ids of newly inserted posts and the number of quarantined items.
    """
    inserted: list[int] = []
    quarantined = 0
    for _ in range(MAX_ROUNDS):
        result = connector.fetch(store.get_cursor(source))
        with store.transaction():
            inserted += store.upsert_posts(result.posts).inserted
            store.set_cursor(source, result.cursor)
            for item in result.quarantined:
                store.quarantine(source, item.error, item.raw)
        quarantined += len(result.quarantined)
        if not result.more:
            return inserted, quarantined
    raise AssertionError(f"fetch still reported more after {MAX_ROUNDS} rounds")


class ConnectorContract:
    """Base class of a connector's contract tests (see the module docstring)."""

    connector_class: ClassVar[type[Connector]]
    needs_secret: ClassVar[bool] = True  # False for connectors without credentials (feeds)
    secret: ClassVar[str] = SECRET

    # -- hooks ------------------------------------------------------------------------------------

    def serve(self, server: Loopback) -> None:
        """Install the routes of the fake network with an initial set of posts."""
        raise NotImplementedError

    def make_connector(self, server: Loopback) -> Connector:
        """A new connector instance talking to `server`, using `self.secret`."""
        raise NotImplementedError

    def add_post(self, server: Loopback) -> str:
        """Make one new post appear on the server; return its native id."""
        raise NotImplementedError

    def add_malformed(self, server: Loopback) -> None:
        """Make one new item with a broken shape appear, next to one new good post."""
        raise NotImplementedError

    def rate_limit_headers(self, reset_at: float) -> dict[str, str]:
        """The headers of a 429 telling the client to wait until `reset_at` (unix seconds)."""
        raise NotImplementedError

    # -- fixtures ---------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _fast_retries(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(
            connector_http, "POLICY", connector_http.RetryPolicy(base_delay=0.0, sleep=lambda s: None)
        )

    @pytest.fixture
    def loopback(self) -> Iterator[Loopback]:
        with Loopback() as server:
            self.serve(server)
            yield server

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = Store(tmp_path / "contract.db")
        yield store
        store.close()

    def _source(self) -> str:
        return f"{self.connector_class.name}:contract"

    # -- the contract -----------------------------------------------------------------------------

    def test_capabilities_are_declared(self) -> None:
        cls = self.connector_class
        caps = cls.capabilities
        assert cls.name and cls.name == cls.name.lower(), "name: a lowercase entry-point name"
        assert cls.display_name, "display_name is shown in the desk"
        assert caps.counting in COUNTING_RULES
        assert caps.monitoring and caps.monitoring <= set(MONITORING_KINDS)
        if caps.can_reply or caps.can_dm:
            assert caps.max_length > 0, "a connector that sends must declare its length limit"
        for key, spec in cls.options.items():
            assert isinstance(key, str) and len(spec) == 2 and isinstance(spec[1], str) and spec[1], key
        assert (cls.secret_label != "") == self.needs_secret

    def test_first_sync_stores_posts(self, loopback: Loopback, store: Store) -> None:
        connector = self.make_connector(loopback)
        inserted, _ = sync(connector, store, self._source())
        assert len(inserted) >= 2
        result = connector.fetch(None)
        for post in result.posts:
            assert post.network == self.connector_class.name
            assert post.native_id and isinstance(post.text, str) and post.created_at > 0
            assert isinstance(post.raw, dict) and post.raw
            assert post.kind in ("mention", "reply", "search", "dm", "feed", "own")

    def test_sync_again_from_scratch_duplicates_nothing(self, loopback: Loopback, store: Store) -> None:
        first, _ = sync(self.make_connector(loopback), store, self._source())
        again, _ = sync(self.make_connector(loopback), store, "another-source")
        assert first and again == []
        assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == len(first)

    def test_resumes_from_the_stored_cursor(self, loopback: Loopback, store: Store) -> None:
        sync(self.make_connector(loopback), store, self._source())
        cursor = store.get_cursor(self._source())
        assert cursor, "a sync must leave a cursor to resume from"
        nothing = self.make_connector(loopback).fetch(cursor)
        stored = {row[0] for row in store.conn.execute("SELECT native_id FROM posts")}
        assert not [p for p in nothing.posts if p.native_id not in stored], "nothing new: nothing to add"
        new_id = self.add_post(loopback)
        inserted, _ = sync(self.make_connector(loopback), store, self._source())
        assert len(inserted) == 1
        row = store.conn.execute("SELECT native_id FROM posts WHERE id = ?", (inserted[0],)).fetchone()
        assert row[0] == new_id

    def test_401_means_auth_error(self, loopback: Loopback) -> None:
        if not self.needs_secret:
            pytest.skip("this connector uses no credentials")
        loopback.fail_next(Reply(401, {"error": "invalid_token", "detail": f"bad token {self.secret}"}), 5)
        with pytest.raises(AuthError) as caught:
            self.make_connector(loopback).fetch(None)
        assert self.secret not in str(caught.value)

    def test_429_means_rate_limited_until_the_reset(self, loopback: Loopback) -> None:
        reset_at = float(int(time.time()) + 900)
        loopback.fail_next(Reply(429, {"error": "RateLimitExceeded"}, self.rate_limit_headers(reset_at)), 5)
        with pytest.raises(RateLimited) as caught:
            self.make_connector(loopback).fetch(None)
        assert abs(caught.value.until - reset_at) <= 2

    def test_5xx_is_retried(self, loopback: Loopback, store: Store) -> None:
        loopback.fail_next(Reply(503, "upstream unavailable"), 1)
        inserted, _ = sync(self.make_connector(loopback), store, self._source())
        assert len(inserted) >= 2

    def test_persistent_5xx_is_transient(self, loopback: Loopback) -> None:
        loopback.fail_next(Reply(502, "<html>bad gateway</html>"), 20)
        with pytest.raises(TransientError):
            self.make_connector(loopback).fetch(None)

    def test_malformed_body_is_transient(self, loopback: Loopback) -> None:
        loopback.fail_next(Reply(200, b'{"truncated": [1, 2'), 20)
        with pytest.raises(TransientError):
            self.make_connector(loopback).fetch(None)

    def test_malformed_item_is_quarantined_and_the_rest_stored(
        self, loopback: Loopback, store: Store
    ) -> None:
        sync(self.make_connector(loopback), store, self._source())
        self.add_malformed(loopback)
        inserted, quarantined = sync(self.make_connector(loopback), store, self._source())
        assert quarantined == 1
        assert len(inserted) == 1
        assert store.quarantine_counts() == {self._source(): 1}

    def test_errors_never_contain_the_secret(self, loopback: Loopback) -> None:
        if not self.needs_secret:
            pytest.skip("this connector uses no credentials")
        echo = {"error": "boom", "message": f"you sent {self.secret}"}
        for status in (400, 401, 403, 404, 429, 500):
            loopback.fail_next(Reply(status, echo, self.rate_limit_headers(time.time() + 5)), 20)
            try:
                self.make_connector(loopback).fetch(None)
            except ConnectorError as exc:
                assert self.secret not in str(exc)
                assert self.secret not in repr(exc.args)
            loopback._failures.clear()

    def test_secret_is_masked_in_repr(self, loopback: Loopback) -> None:
        if not self.needs_secret:
            pytest.skip("this connector uses no credentials")
        connector: Any = self.make_connector(loopback)
        assert self.secret not in repr(vars(connector))
