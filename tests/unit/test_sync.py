"""The sync engine: idempotent, resumable, and never raising for a misbehaving connector."""

from __future__ import annotations

import pytest

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


def test_how_far_back_a_backfill_reached_is_kept_and_reported(store: Store) -> None:
    # A first sync's backfill in three pages: each page reaches further back, the last to the horizon.
    connector = Scripted(
        [
            FetchResult([post(30)], "c1", more=True, reached=1030.0),
            FetchResult([post(20)], "c2", more=True, reached=1020.0),
            FetchResult([post(10)], "c3", reached=900.0),
            FetchResult([post(40)], "c4"),  # a later sync pages forward only: no backfill
        ]
    )
    first = sync_source(store, Source("acct", connector))
    assert first.reached == 900.0 and store.reached("acct") == 900.0
    assert first.reach_text() == "back to 1970-01-01 00:15"
    later = sync_source(store, Source("acct", connector))
    assert later.reached == 900.0 and len(later.new_ids) == 1


def test_a_source_without_backfill_reports_no_reach(store: Store) -> None:
    report = sync_source(store, Source("acct", Scripted([FetchResult([post(1)], "c1")])))
    assert report.reached is None and report.reach_text() == ""


def test_posts_the_network_says_are_gone_are_marked_and_leave_the_queue(store: Store) -> None:
    from socialdesk.store import queries as q

    sync_source(store, Source("acct", Scripted([FetchResult([post(1), post(2)], "c1")])))
    gone = Scripted([FetchResult([], "c2", deleted=["1", "unknown-id"])])
    report = sync_source(store, Source("acct", gone))
    assert report.deleted == 1
    row = q.get_post_by_native(store.conn, "scripted", "1")
    assert row is not None and row.deleted_at is not None and not row.actionable
    kept = q.get_post_by_native(store.conn, "scripted", "2")
    assert kept is not None and kept.deleted_at is None and kept.actionable
    again = sync_source(store, Source("acct", Scripted([FetchResult([], "c3", deleted=["1"])])))
    assert again.deleted == 0  # already marked


def test_backfill_horizon_reads_backfill_days() -> None:
    from socialdesk.connectors.base import BACKFILL_OPTION, ConfigError

    assert "backfill_days" in BACKFILL_OPTION
    connector = Scripted([])
    assert connector.backfill_horizon(now=10 * 86400.0) == 3 * 86400.0  # 7 days by default
    connector.settings = {"backfill_days": 2}
    assert connector.backfill_horizon(now=10 * 86400.0) == 8 * 86400.0
    connector.settings = {"backfill_days": -1}
    with pytest.raises(ConfigError, match="backfill_days"):
        connector.backfill_horizon()


def test_refresh_thread_reports_a_gone_post_as_deleted() -> None:
    from socialdesk.connectors.base import PostGone

    class Threads(Scripted):
        def fetch_thread(self, native_id: str) -> list[Post]:
            if native_id == "gone":
                raise PostGone(native_id)
            return [post(1), post(2)]

    connector = Threads([])
    assert [p.native_id for p in connector.refresh_thread("1").posts] == ["1", "2"]
    gone = connector.refresh_thread("gone")
    assert gone.posts == [] and gone.deleted == ["gone"]
