"""Bluesky first syncs and resumes read the whole backlog, back to the mark or the backfill horizon."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from socialdesk.connectors.atproto_walk import step
from socialdesk.connectors.http import parse_time
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store
from socialdesk.testing import Loopback
from socialdesk.testing.contract import sync
from tests.connectors.test_bluesky import FakeBluesky, iso, make

DAY = 86_400.0
LIST = "/xrpc/app.bsky.notification.listNotifications"


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeBluesky:
    return FakeBluesky(loopback_server)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache.db")


def test_a_first_sync_stores_the_whole_backlog(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    waiting = {fake.notify()["uri"] for _ in range(120)}
    report = sync_source(store, Source("bsky", make(loopback_server)))
    assert report.state == "ok" and len(report.new_ids) == 120
    stored = {row[0] for row in store.conn.execute("SELECT native_id FROM posts")}
    assert stored == waiting
    assert len(loopback_server.calls("GET", LIST)) == 3  # 50 + 50 + 20


def test_the_next_sync_reads_only_what_is_new(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    for _ in range(60):
        fake.notify()
    connector = make(loopback_server)
    sync(connector, store, "bsky")
    later = {fake.notify()["uri"] for _ in range(70)}
    before = len(loopback_server.calls("GET", LIST))
    inserted, _ = sync(connector, store, "bsky")
    assert len(inserted) == 70
    assert {
        store.conn.execute("SELECT native_id FROM posts WHERE id = ?", (i,)).fetchone()[0] for i in inserted
    } == later
    assert len(loopback_server.calls("GET", LIST)) - before == 2  # 50, then 20 and the mark


def old_and_recent(fake: FakeBluesky) -> tuple[float, set[str]]:
    """80 mentions from ten days ago and 30 from two days ago: the time they count from, the recent uris."""
    now = time.time()
    for i in range(80):
        fake.notify(at=now - 10 * DAY + i)
    return now, {fake.notify(at=now - 2 * DAY + i)["uri"] for i in range(30)}


def test_a_first_sync_stops_at_the_backfill_horizon(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    _, recent = old_and_recent(fake)
    inserted, _ = sync(make(loopback_server), store, "bsky")
    assert len(inserted) == 30
    assert {r[0] for r in store.conn.execute("SELECT native_id FROM posts")} == recent
    assert len(loopback_server.calls("GET", LIST)) == 1  # the page that crossed the horizon ends it


def test_backfill_days_is_an_account_option(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    old_and_recent(fake)
    inserted, _ = sync(make(loopback_server, backfill_days=30), store, "bsky")
    assert len(inserted) == 110


def test_an_interrupted_walk_resumes_from_its_page(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    waiting = {fake.notify()["uri"] for _ in range(120)}
    first = make(loopback_server).fetch(None)
    assert first.more and len(first.posts) == 50
    arrived = fake.notify()["uri"]  # while the desk was closed mid-walk
    rest = make(loopback_server)  # a new process, from the stored cursor
    seen = {p.native_id for p in first.posts}
    result = rest.fetch(first.cursor)
    while True:
        seen |= {p.native_id for p in result.posts}
        if not result.more:
            break
        result = rest.fetch(result.cursor)
    assert seen == waiting
    again = rest.fetch(result.cursor)
    assert [p.native_id for p in again.posts] == [arrived] and not again.more


def test_a_cursor_written_before_walks_resumes_from_its_mark(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    seen = fake.notify()
    new = {fake.notify()["uri"] for _ in range(3)}
    legacy = json.dumps({"n": {"at": parse_time(seen["indexedAt"]), "uris": [seen["uri"]]}, "s": {}})
    assert {p.native_id for p in make(loopback_server).fetch(legacy).posts} == new


def test_step_keeps_items_of_the_marks_second_that_it_had_not_seen() -> None:
    a = {"uri": "at://a", "indexedAt": iso(1000.0)}
    b = {"uri": "at://b", "indexedAt": iso(1000.0)}
    got, state = step({"mark": {"at": 1000.0, "seen": [["at://a", 1000.0]]}}, [b, a], None, 0.0)
    assert got.new == [b] and got.done
    assert state == {"mark": {"at": 1000.0, "seen": [["at://a", 1000.0], ["at://b", 1000.0]]}}


def test_posts_sharing_a_millisecond_across_pages_all_arrive(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    now = time.time() - 60
    waiting = {fake.notify(at=now - (i // 30) * 0.001)["uri"] for i in range(120)}  # 30 per millisecond
    inserted, _ = sync(make(loopback_server), store, "bsky")
    assert len(inserted) == 120
    assert {r[0] for r in store.conn.execute("SELECT native_id FROM posts")} == waiting


def test_a_page_of_likes_only_does_not_end_the_walk(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    older = {fake.notify()["uri"] for _ in range(10)}
    for _ in range(60):
        fake.notify("liked your post", reason="like")
    newer = {fake.notify()["uri"] for _ in range(5)}
    inserted, _ = sync(make(loopback_server), store, "bsky")
    assert {r[0] for r in store.conn.execute("SELECT native_id FROM posts")} == older | newer
    assert len(inserted) == 15


def test_a_post_indexed_late_under_an_earlier_time_arrives(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    now = time.time() - 600
    fake.notify(at=now)
    connector = make(loopback_server)
    sync(connector, store, "bsky")
    late = fake.notify(at=now - 30)["uri"]  # createdAt before the newest post seen, indexed after it
    inserted, _ = sync(connector, store, "bsky")
    assert [
        store.conn.execute("SELECT native_id FROM posts WHERE id = ?", (i,)).fetchone()[0] for i in inserted
    ] == [late]
    assert sync(connector, store, "bsky")[0] == []


def test_the_sync_reports_how_far_back_it_read(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    now, _ = old_and_recent(fake)
    connector = make(loopback_server, backfill_days=5)
    first = connector.fetch(None)
    assert not first.more and first.reached is not None
    assert abs(first.reached - (now - 5 * DAY)) < 60  # the horizon: nothing missing back to it
    fake.notify()
    assert connector.fetch(first.cursor).reached is None  # not a backfill: it reads back to the mark


def test_a_backfill_cut_short_reports_the_oldest_post_read(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    for _ in range(120):
        fake.notify()
    report = sync_source(store, Source("bsky", make(loopback_server)), max_pages=2)
    oldest = min(r[0] for r in store.conn.execute("SELECT created_at FROM posts"))
    # 50 + 49: a page asks again from its edge.
    assert len(report.new_ids) == 99
    assert report.reached is not None and abs(report.reached - oldest) < 1
    report = sync_source(store, Source("bsky", make(loopback_server)))  # the next sync finishes it
    assert len(report.new_ids) == 21 and report.reached is not None and report.reached < oldest - 86_400


def test_more_mentions_in_one_millisecond_than_a_page_holds_all_arrive(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    # A client that writes createdAt in whole seconds, posting fast: the dev network's CI run stored
    # 109 of 120 this way. The appview's time-only cursor cannot page inside one millisecond.
    at = time.time() - 60
    waiting = {fake.notify(at=at)["uri"] for _ in range(70)}
    report = sync_source(store, Source("bsky", make(loopback_server)))
    assert report.state == "ok", report.message
    assert {r[0] for r in store.conn.execute("SELECT native_id FROM posts")} == waiting
    assert [c.arg("limit") for c in loopback_server.calls("GET", LIST)] == ["50", "50", "100"]


def test_more_in_one_millisecond_than_the_largest_page_says_what_may_be_missing(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    at = time.time() - 60
    for _ in range(130):
        fake.notify(at=at)
    older = {fake.notify(at=at - 1)["uri"] for _ in range(5)}
    report = sync_source(store, Source("bsky", make(loopback_server)))
    stored = {r[0] for r in store.conn.execute("SELECT native_id FROM posts")}
    assert len(stored) == 105 and older <= stored  # 100 of that millisecond, and the walk went on
    assert report.state == "error"
    assert "more than 100 notifications share" in report.message and "may be missing" in report.message


def test_a_mention_sharing_its_millisecond_with_likes_at_a_page_edge_arrives(
    fake: FakeBluesky, loopback_server: Loopback, store: Store
) -> None:
    # Asked for some reasons only, the appview refills a page that filtering left under half full
    # from its time-only cursor, skipping the rest of the edge's millisecond inside one answer.
    now = time.time() - 600
    older = {fake.notify(at=now - 100 - i)["uri"] for i in range(10)}
    at_edge = {fake.notify(at=now - 50)["uri"] for _ in range(3)}
    for _ in range(5):
        fake.notify("liked your post", reason="like", at=now - 50)
    for i in range(45):
        fake.notify("liked your post", reason="like", at=now - i)
    sync_source(store, Source("bsky", make(loopback_server)))
    assert {r[0] for r in store.conn.execute("SELECT native_id FROM posts")} == older | at_edge
