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


def statements(store: Store, word: str) -> list[str]:
    """Every statement starting with `word` the store's connection (this thread's) runs from now on."""
    seen: list[str] = []
    store.conn.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith(word) else None)
    return seen


@pytest.mark.usefixtures("groups_of_four_pages")
def test_a_clean_backfill_is_stored_without_savepoints(store: Store) -> None:
    """A savepoint made SQLite copy every page the posts INSERT changed: a fifth of its time."""
    savepoints = statements(store, "SAVEPOINT")
    report = sync_source(store, Source("brand", Backfill(8 * PAGE)))
    assert report.state == SourceState.OK and len(report.new_ids) == 8 * PAGE
    assert savepoints == []


class Pages(Connector):
    """Hands out the pages it is given (as a plugin might), under one account."""

    name = "mastodon"
    capabilities = Capabilities()

    def __init__(self, account: str, pages: list[list[Post]]) -> None:
        super().__init__(account)
        self.pages = pages

    def fetch(self, cursor: str | None) -> FetchResult:
        index = int(cursor or 0)
        return FetchResult(self.pages[index], str(index + 1), more=index + 1 < len(self.pages))


def status(native_id: str, text: str = "where is my order", uri: str = "", **kw: object) -> Post:
    """A customer's status as our account `brand-<letter of the id>` received it."""
    post = Post("mastodon", native_id, Author("cust", "cust@example.social"), text, 1e9 + int(native_id[1:]))
    post.uri, post.account = uri, f"brand-{native_id[0]}"
    for name, value in kw.items():
        setattr(post, name, value)
    return post


def test_a_refused_post_rolls_its_group_back_and_the_group_is_stored_again_as_fetched(store: Store) -> None:
    """The group is stored again from the posts as fetched: a status another of our accounts stored
    first gets its alias, the reply to it points at the stored status, the refused post is quarantined."""
    shared = "https://example.social/users/cust/statuses/1"
    first = sync_source(store, Source("brand-a", Pages("brand-a", [[status("a1", uri=shared)]])))
    assert first.state == SourceState.OK
    nested: dict[str, object] = {}
    for _ in range(100_000):  # JSON cannot write it: SQLite never sees the row
        nested = {"x": nested}
    pages = [
        [status("b1", uri=shared), status("b2", "hello?", in_reply_to="b1")],
        [status("b3", "no refund yet", raw=nested), status("b4", "thanks")],
    ]
    report = sync_source(store, Source("brand-b", Pages("brand-b", pages)))
    assert report.state == SourceState.OK and report.quarantined == 1
    assert store.conn.execute("SELECT native_id, account FROM post_aliases").fetchall() == [("b1", "brand-b")]
    rows = dict(store.conn.execute("SELECT native_id, in_reply_to FROM posts"))
    assert rows == {"a1": None, "b2": "a1", "b4": None}
    assert store.get_cursor("brand-b") == "2"
    assert len(report.new_ids) == 2


@pytest.mark.usefixtures("groups_of_four_pages")
def test_our_reply_in_a_later_page_answers_its_post_as_the_group_inserts_it(store: Store) -> None:
    """A customer post takes the first response its group holds when inserted, so our replies in the
    group's later pages do not write it again; a post stored before the group is answered by an UPDATE."""
    sync_source(store, Source("before", Pages("before", [[status("c1")]])))  # another source, an earlier sync
    brand = Author("brand", "brand@example.social")

    def ours(native_id: str, parent: str, after: float) -> Post:
        at = 1e9 + int(parent[1:]) + after
        return Post(
            "mastodon", native_id, brand, "on it", at, in_reply_to=parent, is_ours=True, account="brand-c"
        )

    updates: list[
        str
    ] = []  # (a transaction of bounded writes drops TEMP triggers: see Store._bounded_writes)
    store.conn.set_trace_callback(
        lambda sql: updates.append(sql) if "SET first_response_at = " in sql else None
    )
    pages = [
        [status("c2"), status("c3")],
        [ours("r1", "c2", 300.0), ours("r2", "c1", 100.0), ours("r3", "c3", -50.0)],  # r3: before c3
        [ours("r4", "c2", 200.0)],  # a later page, an earlier reply: the earliest wins
    ]
    report = sync_source(store, Source("brand-c", Pages("brand-c", pages)))
    assert report.state == SourceState.OK and len(report.new_ids) == 6
    answered = dict(store.conn.execute("SELECT native_id, first_response_at FROM posts WHERE is_ours = 0"))
    assert answered == {"c1": 1e9 + 1 + 100.0, "c2": 1e9 + 2 + 200.0, "c3": None}
    assert [s for s in updates if "'c1'" in s] and not [s for s in updates if "'c2'" in s]
