"""Mastodon's reading side against a server that pages, filters, edits and deletes like Mastodon."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from socialdesk.store import queries as q
from socialdesk.testing import SECRET, Loopback
from tests.connectors.fake_mastodon_fetch import ME, FakeMastodonFetch, account

HOUR = 3600.0
DAY = 24 * HOUR


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeMastodonFetch:
    return FakeMastodonFetch(loopback_server, now=time.time())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache.db")


def make(server: Loopback, **options: Any) -> MastodonConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(5.0))
    return MastodonConnector("support", {"base_url": server.url, **options}, SECRET, client)


def stored(store: Store, kind: str | None = None) -> int:
    sql = "SELECT COUNT(*) FROM posts WHERE network = 'mastodon'" + (" AND kind = ?" if kind else "")
    return int(store.conn.execute(sql, (kind,) if kind else ()).fetchone()[0])


def test_a_first_sync_stores_the_whole_backlog_back_to_the_horizon(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    for i in range(64):  # 64 mentions waiting, one every two hours: all within the 7 days
        fake.post(account(i % 9 + 1), age=(i + 1) * 2 * HOUR)
    for i in range(5):  # older than the horizon
        fake.post(account(1), age=8 * DAY + i * HOUR)
    connector = make(loopback_server)
    report = sync_source(store, Source("support", connector))
    assert report.state == SourceState.OK, report.message
    assert stored(store, "mention") == 64
    asked = loopback_server.calls("GET", "/api/v1/notifications")
    assert [r.arg("limit") for r in asked] == ["40", "40"]
    assert asked[0].arg("max_id") is None and asked[1].arg("max_id") is not None  # the Link's next
    horizon = fake.now - 7 * DAY
    assert report.reached is not None and abs(report.reached - horizon) < 60
    assert report.reach_text().startswith("back to ")


def test_later_syncs_page_forward_until_nothing_new_is_left(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    fake.post(account(1), age=HOUR)
    sync_source(store, Source("support", make(loopback_server)))
    for i in range(90):
        fake.post(account(i % 5 + 1), age=HOUR - 10 - i)
    report = sync_source(store, Source("support", make(loopback_server)))
    assert len(report.new_ids) == 90 and stored(store) == 91
    forward = [r.arg("min_id") for r in loopback_server.calls("GET", "/api/v1/notifications")[1:]]
    assert len(forward) == 3 and all(forward)  # 40 + 40 + 10


def test_backfill_days_sets_the_horizon(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    for i in range(100):  # one an hour, 100 hours back
        fake.post(account(i % 9 + 1), age=(i + 1) * HOUR)
    report = sync_source(store, Source("support", make(loopback_server, backfill_days=2)))
    # The second page (hours 41-80) passes the 48-hour horizon: no third page is read, and what it
    # holds from beyond the horizon stays out.
    assert len(loopback_server.calls("GET", "/api/v1/notifications")) == 2
    assert stored(store) == 47
    assert report.reached is not None and abs(report.reached - (fake.now - 2 * DAY)) < 60


def test_a_backfill_interrupted_resumes_from_its_place(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    for i in range(100):
        fake.post(account(i % 9 + 1), age=(i + 1) * HOUR)
    first = sync_source(store, Source("support", make(loopback_server)), max_pages=1)
    assert stored(store) == 40 and first.reached is not None and first.reached > fake.now - 41 * HOUR
    second = sync_source(store, Source("support", make(loopback_server)))
    assert stored(store) == 100 and len(second.new_ids) == 60
    assert second.reached is not None and abs(second.reached - (fake.now - 7 * DAY)) < 60


def test_private_mentions_from_strangers_are_fetched_though_the_policy_filters_them(
    fake: FakeMastodonFetch, loopback_server: Loopback
) -> None:
    stranger = account(7)
    dm = fake.post(stranger, "my card was charged twice", visibility="direct")
    # As a real server does: the default policy hides it from a plain notifications request.
    plain = httpx.get(f"{loopback_server.url}/api/v1/notifications", params={"types[]": "mention"})
    assert plain.json() == []
    posts = make(loopback_server).fetch(None).posts
    assert [(p.native_id, p.kind) for p in posts] == [(dm["id"], "dm")]
    asked = loopback_server.calls("GET", "/api/v1/notifications")[-1]
    assert asked.arg("include_filtered") == "true"


def test_a_quote_of_our_post_shows_the_quoted_post(
    fake: FakeMastodonFetch, loopback_server: Loopback
) -> None:
    ours = fake.post(ME, "Our new returns policy is live", mentions_us=False, age=HOUR)
    quoting = fake.post(account(3), "this is not what you told me", quote_of=ours["id"], mentions_us=False)
    posts = {p.native_id: p for p in make(loopback_server).fetch(None).posts}
    post = posts[quoting["id"]]
    domain = loopback_server.url.split("://")[1]  # our server's domain with its port
    assert post.kind == "mention" and post.raw["type"] == "quote"
    assert (
        post.text == f"this is not what you told me\n[quoting @acme@{domain}: Our new returns policy is live]"
    )


def test_a_thread_refresh_brings_edits_follow_ups_and_our_own_posts(
    fake: FakeMastodonFetch, loopback_server: Loopback
) -> None:
    customer = account(4)
    first = fake.post(customer, "where is my parcel", age=3 * HOUR)
    ours = fake.post(ME, "Looking into it", reply_to=first["id"], mentions_us=False, age=2 * HOUR)
    follow_up = fake.post(customer, "still nothing", reply_to=ours["id"], mentions_us=False, age=HOUR)
    fake.edit(first["id"], "where is my parcel #12345", age=30)
    result = make(loopback_server).refresh_thread(first["id"])
    posts = {p.native_id: p for p in result.posts}
    assert set(posts) == {first["id"], ours["id"], follow_up["id"]} and result.deleted == []
    assert posts[first["id"]].text == "@acme where is my parcel #12345"
    assert posts[first["id"]].edited_at == pytest.approx(fake.now - 30, abs=1)
    assert posts[ours["id"]].is_ours and posts[follow_up["id"]].edited_at is None
    assert {p.conversation_id for p in posts.values()} == {first["id"]}


def test_a_deleted_post_is_reported_gone(fake: FakeMastodonFetch, loopback_server: Loopback) -> None:
    post = fake.post(account(2), "never mind")
    fake.delete(post["id"])
    result = make(loopback_server).refresh_thread(post["id"])
    assert result.posts == [] and result.deleted == [post["id"]]


def test_an_edit_reaches_the_store_with_its_mark(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    post = fake.post(account(2), "the app crashes", age=HOUR)
    sync_source(store, Source("support", make(loopback_server)))
    fake.edit(post["id"], "the app crashes on login", age=60)
    store.upsert_posts(make(loopback_server).refresh_thread(post["id"]).posts)
    row = q.get_post_by_native(store.conn, "mastodon", post["id"])
    assert row is not None and row.text.endswith("crashes on login") and row.edited_at is not None


def test_sync_and_accounts_test_keep_the_servers_own_limits(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store, tmp_path: Path
) -> None:
    from socialdesk.config import AccountSettings
    from socialdesk.secrets import SecretStore
    from socialdesk.services.accounts import test_account

    fake.max_characters, fake.characters_reserved_per_url = 5000, 25  # as GoToSocial-like servers say
    fake.post(account(1))
    connector = make(loopback_server)
    sync_source(store, Source("support", connector))
    assert connector.limit() == 5000 and store.limits("support") == (5000, 25)
    fake.max_characters = 11_000  # the admin raised it: `accounts test` reads it again
    secrets = SecretStore("file", tmp_path / "s.json")
    secrets.set("support", SECRET)
    settings = AccountSettings("support", "mastodon", options={"base_url": loopback_server.url})
    described = test_account(settings, "c", secrets, httpx.Client(base_url=loopback_server.url), store=store)
    assert "limit 11000 characters" in described and store.limits("support") == (11_000, 25)


def test_an_edit_of_a_post_we_boosted_arrives_with_the_next_sync(
    fake: FakeMastodonFetch, loopback_server: Loopback, store: Store
) -> None:
    post = fake.post(account(5), "love the new app", age=HOUR)
    sync_source(store, Source("support", make(loopback_server)))
    fake.edit(post["id"], "love the new app, but it logs me out", age=60, boosted=True)
    report = sync_source(store, Source("support", make(loopback_server)))
    assert report.new_ids == [] and report.updated == 1
    row = q.get_post_by_native(store.conn, "mastodon", post["id"])
    assert row is not None and row.text.endswith("it logs me out") and row.edited_at is not None


@pytest.mark.parametrize("cursor", ['{"b": 3}', '{"n": {"x": 1}}', '{"t": [], "b": {"n": 7}}'])
def test_a_damaged_cursor_starts_the_stream_again_instead_of_failing_every_sync(
    fake: FakeMastodonFetch, loopback_server: Loopback, cursor: str
) -> None:
    fake.post(account(1), age=HOUR)
    result = make(loopback_server).fetch(cursor)
    assert len(result.posts) == 1 and not result.errors
    asked = loopback_server.calls("GET", "/api/v1/notifications")[-1]
    assert asked.arg("min_id") is None and asked.arg("max_id") is None  # read as a first sync
