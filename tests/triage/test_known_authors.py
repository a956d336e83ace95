"""A sync remembers the authors its pages looked up: later pages read only authors it has not met, and
triage and storing give what reading every author again gives, even when another connection writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from socialdesk.config import SlaSettings
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Author, Post
from socialdesk.services import rules, sync
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store, db

PAGE = 40
AUTHORS = 23
START = 1_800_000_000.0


class Crowd(Connector):
    """`total` posts by a crowd of authors who post again and again and change their handles a third of
    the way through, with one of our replies in every nine. `between(start)` runs before each page is
    handed out (another connection's writes); the post at `refused` holds a payload SQLite cannot take
    (its group is rolled back and stored again post by post)."""

    name = "x"
    capabilities = Capabilities()

    def __init__(
        self,
        total: int,
        between: Callable[[int], None] | None = None,
        refused: int = -1,
        own: tuple[int, Author] | None = None,
    ) -> None:
        super().__init__("brand")
        self.total = total
        self.between = between
        self.refused = refused
        self.own = own  # (page, author): our account is known from that page's fetch on
        self.fetched = 0

    def own_author(self) -> Author | None:
        if self.own is None or self.fetched <= self.own[0] * PAGE:
            return None
        return self.own[1]

    def fetch(self, cursor: str | None) -> FetchResult:
        start = int(cursor or 0)
        end = min(self.total, start + PAGE)
        self.fetched = max(self.fetched, end)
        if self.between is not None:
            self.between(start)
        posts = []
        for i in range(start, end):
            if i % 9 == 8:
                brand, text = Author("brand-id", "brand"), "Sorry to hear that, we are on it"
                reply = Post("x", f"p{i}", brand, text, START + i, in_reply_to=f"p{i - 1}", is_ours=True)
                posts.append(reply)
                continue
            who = i % AUTHORS
            handle = f"user{who}" if i < self.total // 3 else f"user{who}_renamed"
            author = Author(f"a{who}", handle, f"User {who}", followers=100 + who)
            posts.append(Post("x", f"p{i}", author, f"my order {i} never came", START + i))
            if i == self.refused:
                posts[-1].raw = too_deep()
        return FetchResult(posts, str(end), more=end < self.total)


def too_deep() -> dict[str, object]:
    """A payload nested deeper than JSON encoding recurses."""
    top: dict[str, object] = {}
    inner = top
    for _ in range(100_000):
        inner["a"] = inner = {}
    return top


def triager() -> Triager:
    playbook = [
        {"name": "again", "repeat_customer": True, "tag": "repeat"},
        {"name": "vip", "vip": True, "tag": "vip", "priority": 3},
    ]
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": playbook}), SlaSettings())


def stored(store: Store) -> list[tuple[object, ...]]:
    """Every post with its customer, triage and tags; every identity; every customer."""
    posts = store.conn.execute(
        "SELECT p.native_id, p.customer_id, p.priority, p.status, p.actionable, p.due_at, "
        "(SELECT group_concat(tag) FROM (SELECT tag FROM post_tags t WHERE t.post_id = p.id ORDER BY tag)) "
        "FROM posts p ORDER BY p.native_id"
    ).fetchall()
    identities = store.conn.execute(
        "SELECT network, native_id, customer_id, handle, display_name, followers, url FROM identities "
        "ORDER BY network, native_id"
    ).fetchall()
    customers = store.conn.execute("SELECT id, display_name, vip FROM customers ORDER BY id").fetchall()
    return [*posts, *identities, *customers]


@contextmanager
def not_remembering(self: Store) -> Iterator[None]:
    yield


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many authors each of triage's author-facts reads looked up."""
    counted: list[int] = []
    real = rules.author_facts

    def counting(conn: sqlite3.Connection, keys: list[tuple[str, str]], *args: object) -> object:
        counted.append(len(keys))
        return real(conn, keys, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(rules, "author_facts", counting)
    return counted


@pytest.fixture(params=[PAGE, 4 * PAGE], ids=["a group per page", "four pages a group"])
def group_posts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sync, "GROUP_POSTS", request.param)
    monkeypatch.setattr(sync, "GROUP_SECONDS", 3600.0)
    return int(request.param)


def sync_crowd(
    path: Path,
    total: int,
    remember: bool,
    between: Callable[[Store, int], None] | None = None,
    refused: int = -1,
    statements: list[str] | None = None,
    own: tuple[int, Author] | None = None,
    pages_a_sync: int = 1000,
    between_syncs: Callable[[Store, Store], None] | None = None,
) -> Store:
    """The crowd synced into a new cache (`remember`: as the sync engine does), `statements` run noted;
    in syncs of `pages_a_sync` pages, as a backfill is, `between_syncs(store, elsewhere)` run between them."""
    store = Store(path)
    elsewhere = Store(path)  # another desk or the agent's own actions, on a connection of their own
    first = [Post("x", "old", Author("a1", "user1", "User 1"), "hello", START - 100)]
    store.upsert_posts(first)
    store.conn.execute("UPDATE customers SET vip = 1 WHERE display_name = 'User 1'")
    with pytest.MonkeyPatch.context() as patch:
        if not remember:
            patch.setattr(Store, "remembering_authors", not_remembering)
        hook = (lambda start: between(elsewhere, start)) if between is not None else None
        store.conn.set_trace_callback(statements.append if statements is not None else None)
        source = Source("brand", Crowd(total, hook, refused, own))
        triage = triager()
        report = sync_source(store, source, triage, max_pages=pages_a_sync)
        while report.state == SourceState.OK and store.get_cursor("brand") != str(total):
            if between_syncs is not None:
                between_syncs(store, elsewhere)
            report = sync_source(store, source, triage, max_pages=pages_a_sync)
        store.conn.set_trace_callback(None)
    assert report.state == SourceState.OK, report.message
    elsewhere.close()
    return store


@pytest.mark.usefixtures("group_posts")
@pytest.mark.parametrize("refused", [-1, 5 * PAGE + 3], ids=["every post stored", "a post refused"])
def test_a_sync_stores_what_reading_every_author_again_stores(
    tmp_path: Path, lookups: list[int], refused: int
) -> None:
    pages = 12
    ran: tuple[list[str], list[str]] = ([], [])
    remembered = stored(
        sync_crowd(tmp_path / "remembered.db", pages * PAGE, True, refused=refused, statements=ran[0])
    )
    with_memory = sum(lookups)
    lookups.clear()
    read_again = sync_crowd(tmp_path / "read.db", pages * PAGE, False, refused=refused, statements=ran[1])
    assert remembered == stored(read_again)
    # The identities written are the same: none written again for want of knowing it was done.
    updates = [[s for s in statements if s.startswith("UPDATE identities")] for statements in ran]
    assert updates[0] == updates[1] and len(updates[0]) >= AUTHORS  # each author renamed once at least
    if refused < 0:  # each author of the crowd read once, when first met; our account (no customer) each page
        assert with_memory == AUTHORS + pages
        assert sum(lookups) > 5 * with_memory
    else:  # the refused post's group was stored again, its authors read again after the rollback
        assert with_memory < sum(lookups)
    tags = {row[0] for row in read_again.conn.execute("SELECT tag FROM post_tags")}
    assert {"repeat", "vip"} <= tags  # the facts decided something


def vip_after(page: int) -> Callable[[Store, int], None]:
    def between(elsewhere: Store, start: int) -> None:
        if start == page * PAGE:
            elsewhere.conn.execute("UPDATE customers SET vip = 1 WHERE display_name = 'User 5'")

    return between


def merge_a7_into_a1(conn: sqlite3.Connection) -> None:
    """Author a7's identity moves to a1's customer, as an agent merging two customers does."""
    conn.execute(
        "UPDATE identities SET customer_id = (SELECT customer_id FROM identities WHERE native_id = 'a1') "
        "WHERE native_id = 'a7'"
    )


def merged_after(page: int) -> Callable[[Store, int], None]:
    """Author a7's customer merged into a1's before that page is fetched."""

    def between(elsewhere: Store, start: int) -> None:
        if start == page * PAGE:
            merge_a7_into_a1(elsewhere.conn)

    return between


@pytest.mark.usefixtures("group_posts")
@pytest.mark.parametrize("write", [vip_after, merged_after], ids=["made a VIP", "two customers merged"])
def test_what_another_connection_writes_during_a_sync_is_read_again(
    tmp_path: Path, write: Callable[[int], Callable[[Store, int], None]]
) -> None:
    total = 12 * PAGE
    remembered = sync_crowd(tmp_path / "remembered.db", total, True, write(10))
    read_again = sync_crowd(tmp_path / "read.db", total, False, write(10))
    assert stored(remembered) == stored(read_again)
    if write is vip_after:
        tagged = remembered.conn.execute(
            "SELECT count(*) FROM posts p JOIN post_tags t ON t.post_id = p.id AND t.tag = 'vip' "
            "WHERE p.author_native_id = 'a5'"
        ).fetchone()[0]
        assert tagged > 0
    else:
        after = remembered.conn.execute(
            "SELECT DISTINCT customer_id FROM posts WHERE author_native_id IN ('a1', 'a7') "
            "AND created_at >= ?",
            (START + 10 * PAGE,),
        ).fetchall()
        assert len(after) == 1  # one customer now


@pytest.mark.usefixtures("group_posts")
def test_an_author_found_to_be_our_own_account_mid_sync_is_read_again(tmp_path: Path) -> None:
    """From page 2 the network says our account goes by user3's handle: the posts already stored by the
    author a3 become ours and a3's customer goes (`remember_own`), so a3's later posts, under a new
    handle once the crowd renames itself, are a new customer's, not the one the sync met before."""
    total = 12 * PAGE
    own = (2, Author("support-id", "user3"))
    remembered = sync_crowd(tmp_path / "remembered.db", total, True, own=own)
    read_again = sync_crowd(tmp_path / "read.db", total, False, own=own)
    assert stored(remembered) == stored(read_again)
    customers = remembered.conn.execute(
        "SELECT DISTINCT p.customer_id, c.id IS NOT NULL FROM posts p "
        "LEFT JOIN customers c ON c.id = p.customer_id WHERE p.author_native_id = 'a3' AND p.is_ours = 0"
    ).fetchall()
    assert len(customers) == 1 and customers[0][1]  # one customer, one that exists
    ours = remembered.conn.execute("SELECT count(*) FROM posts WHERE author_native_id = 'a3' AND is_ours = 1")
    assert ours.fetchone()[0] > 0


@pytest.mark.usefixtures("group_posts")
def test_a_backfill_of_many_syncs_reads_each_author_once(tmp_path: Path, lookups: list[int]) -> None:
    """The syncs of a backfill run one after the other on one thread: each takes what the one before
    remembered, so the crowd's authors are read once in all, not once a sync."""
    pages = 12
    remembered = stored(sync_crowd(tmp_path / "remembered.db", pages * PAGE, True, pages_a_sync=3))
    assert sum(lookups) == AUTHORS + pages  # our account (no customer) each page, as in one sync
    lookups.clear()
    assert remembered == stored(sync_crowd(tmp_path / "read.db", pages * PAGE, False, pages_a_sync=3))
    assert sum(lookups) > 4 * AUTHORS


@pytest.mark.usefixtures("group_posts")
@pytest.mark.parametrize("here", [True, False], ids=["on this connection", "on another connection"])
def test_a_write_between_two_syncs_makes_the_next_read_its_authors_again(
    tmp_path: Path, lookups: list[int], here: bool
) -> None:
    """An agent's action between two syncs (on the thread the next sync runs on, or on another) may
    change any author: the next sync reads its authors again and stores what reading every author
    again stores."""
    done: list[bool] = []

    def merge_once(store: Store, elsewhere: Store) -> None:
        if not done:
            merge_a7_into_a1((store if here else elsewhere).conn)
            done.append(True)

    total = 12 * PAGE
    remembered = sync_crowd(tmp_path / "remembered.db", total, True, pages_a_sync=6, between_syncs=merge_once)
    assert sum(lookups) == 2 * AUTHORS + 12  # the crowd read again once, after the merge
    done.clear()
    read_again = sync_crowd(tmp_path / "read.db", total, False, pages_a_sync=6, between_syncs=merge_once)
    assert stored(remembered) == stored(read_again)
    after = remembered.conn.execute(
        "SELECT DISTINCT customer_id FROM posts WHERE author_native_id IN ('a1', 'a7') AND created_at >= ?",
        (START + 6 * PAGE,),
    ).fetchall()
    assert len(after) == 1  # one customer now


@pytest.mark.usefixtures("group_posts")
def test_a_thread_keeps_a_bounded_number_of_authors_between_syncs(
    tmp_path: Path, lookups: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "KEEP_AUTHORS", AUTHORS - 1)
    sync_crowd(tmp_path / "remembered.db", 12 * PAGE, True, pages_a_sync=3)
    assert sum(lookups) == 4 * AUTHORS + 12  # each of the four syncs met the crowd afresh
