"""The sync engine stores pages fetched back to back in one transaction each group, cursor with its posts."""

from __future__ import annotations

import sqlite3

import pytest

from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Author, Post
from socialdesk.services import sync
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store

PAGE = 50


class Backfill(Connector):
    """A timeline of `total` posts handed out `PAGE` at a time (no I/O)."""

    name = "x"
    capabilities = Capabilities()

    def __init__(self, total: int) -> None:
        super().__init__("brand")
        self.total = total

    def fetch(self, cursor: str | None) -> FetchResult:
        start = int(cursor or 0)
        end = min(self.total, start + PAGE)
        posts = [
            Post("x", f"p{i}", Author(f"a{i % 7}", f"user{i % 7}"), f"post {i}", 1e9 + i)
            for i in range(start, end)
        ]
        return FetchResult(posts, str(end), more=end < self.total)


def transactions(store: Store) -> list[str]:
    """Every BEGIN the store's connection (this thread's) runs from now on."""
    begun: list[str] = []
    store.conn.set_trace_callback(lambda sql: begun.append(sql) if sql.startswith("BEGIN") else None)
    return begun


def stored_ids(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT native_id FROM posts ORDER BY created_at")]


@pytest.fixture
def groups_of_four_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "GROUP_POSTS", 4 * PAGE, raising=False)
    monkeypatch.setattr(sync, "GROUP_SECONDS", 3600.0, raising=False)


@pytest.mark.usefixtures("groups_of_four_pages")
def test_pages_fetched_back_to_back_share_a_transaction(store: Store) -> None:
    begun = transactions(store)
    report = sync_source(store, Source("brand", Backfill(12 * PAGE)))
    assert report.state == SourceState.OK and len(report.new_ids) == 12 * PAGE
    assert len(begun) == 3  # twelve pages, four to a transaction
    assert store.get_cursor("brand") == str(12 * PAGE)


@pytest.mark.usefixtures("groups_of_four_pages")
def test_a_page_published_elsewhere_still_commits_alone(store: Store) -> None:
    begun = transactions(store)
    published: list[str | None] = []
    report = sync_source(
        store, Source("brand", Backfill(6 * PAGE)), on_page=lambda r: published.append(r.cursor)
    )
    assert report.state == SourceState.OK and len(published) == 6
    assert len(begun) == 6  # a hub's page goes to the shared database with its own commit


@pytest.mark.usefixtures("groups_of_four_pages")
def test_a_group_that_fails_to_store_leaves_its_cursor_behind_and_loses_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Store.set_cursor
    calls: list[str | None] = []

    def full_disk_on_the_sixth_page(self: Store, source: str, cursor: str | None, stream: str = "") -> None:
        calls.append(cursor)
        if len(calls) == 6:
            raise sqlite3.OperationalError("database or disk is full")
        real(self, source, cursor, stream)

    with monkeypatch.context() as mp:
        mp.setattr(Store, "set_cursor", full_disk_on_the_sixth_page)
        with pytest.raises(sqlite3.OperationalError):
            sync_source(store, Source("brand", Backfill(12 * PAGE)))
    # The second group (pages 5-8) rolled back whole: the cursor is where the stored posts end.
    assert store.get_cursor("brand") == str(4 * PAGE)
    assert stored_ids(store) == [f"p{i}" for i in range(4 * PAGE)]
    report = sync_source(store, Source("brand", Backfill(12 * PAGE)))
    assert report.state == SourceState.OK and len(report.new_ids) == 8 * PAGE
    assert stored_ids(store) == [f"p{i}" for i in range(12 * PAGE)]
