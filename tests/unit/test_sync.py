"""The sync engine: idempotent, resumable, and never raising for a misbehaving connector."""

from __future__ import annotations

from socialdesk.connectors.base import (
    AuthError,
    Capabilities,
    Connector,
    FetchResult,
    Quarantined,
    RateLimited,
)
from socialdesk.models import Author, Post
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from tests.conftest import FIXED_NOW, demo_connector


def count(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0])


def test_demo_sync_is_idempotent_and_resumes_from_its_cursor(store: Store) -> None:
    connector = demo_connector(posts=300)
    report = sync_source(store, Source("demo", connector))
    assert report.state == SourceState.OK and len(report.new_ids) == count(store) > 300
    # Same time: nothing new. A fresh connector (a restart) resumes from the stored cursor.
    again = sync_source(store, Source("demo", demo_connector(posts=300)))
    assert again.new_ids == [] and count(store) == len(report.new_ids)
    # Time passes: only the new live posts arrive.
    later = sync_source(store, Source("demo", demo_connector(posts=300, clock=FIXED_NOW + 40)))
    assert 5 <= len(later.new_ids) <= 12


def test_forgetting_the_cursor_never_duplicates(store: Store) -> None:
    sync_source(store, Source("demo", demo_connector(posts=200)))
    before = count(store)
    store.conn.execute("DELETE FROM cursors")
    report = sync_source(store, Source("demo", demo_connector(posts=200)))
    assert report.new_ids == [] and report.updated > 0 and count(store) == before


class Scripted(Connector):
    """Replays a list of outcomes (FetchResult or exception), one per fetch."""

    name = "scripted"
    capabilities = Capabilities(max_length=100)

    def __init__(self, outcomes: list[object]) -> None:
        super().__init__("acct")
        self.outcomes = outcomes
        self.cursors: list[str | None] = []

    def fetch(self, cursor: str | None) -> FetchResult:
        self.cursors.append(cursor)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, FetchResult)
        return outcome


def post(i: int) -> Post:
    return Post("scripted", str(i), Author("u", "u", "U"), f"text {i}", 1000.0 + i)


def test_pages_are_followed_and_a_failure_keeps_what_was_stored(store: Store) -> None:
    connector = Scripted(
        [
            FetchResult([post(1), post(2)], "c1", more=True),
            FetchResult([post(3)], "c2", [Quarantined("bad shape", '{"id": 4}')], more=True),
            RuntimeError("plugin bug"),
        ]
    )
    report = sync_source(store, Source("acct", connector))
    assert report.state == SourceState.ERROR and "plugin bug" in report.message
    assert len(report.new_ids) == 3 and report.quarantined == 1
    assert store.get_cursor("acct") == "c2"
    assert connector.cursors == [None, "c1", "c2"]
    assert store.quarantine_counts() == {"acct": 1}


def test_rate_limit_and_auth_are_states_not_crashes(store: Store) -> None:
    limited = sync_source(store, Source("acct", Scripted([RateLimited(until=FIXED_NOW + 600)])))
    assert limited.state == SourceState.RATE_LIMITED and limited.retry_at == FIXED_NOW + 600
    assert limited.message.startswith("rate-limited until ")
    auth = sync_source(store, Source("acct", Scripted([AuthError("401: token revoked")])))
    assert auth.state == SourceState.NEEDS_AUTH and "token revoked" in auth.message


def test_error_messages_from_servers_are_sanitised(store: Store) -> None:
    report = sync_source(store, Source("acct", Scripted([RuntimeError("boom\x1b[2J\nsecond line")])))
    assert "\x1b" not in report.message and "\n" not in report.message


def test_a_plugin_that_leaks_its_token_in_an_error_is_masked(store: Store) -> None:
    from socialdesk.secrets import remember

    token = remember("tok-9f8e7d6c5b4a")
    report = sync_source(store, Source("acct", Scripted([RuntimeError(f"401 for Bearer {token}")])))
    assert "tok-9f8e7d6c5b4a" not in report.message and "***" in report.message
