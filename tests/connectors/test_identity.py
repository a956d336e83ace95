"""One identity per account and customer: handles are stored bare and shown with one "@"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.store import Store
from socialdesk.store.migrate import statements
from socialdesk.store.schema import migrations
from socialdesk.testing import SECRET, Loopback
from tests.connectors.test_bluesky import FakeBluesky
from tests.connectors.test_bluesky import make as make_bluesky
from tests.connectors.test_mastodon import ME, FakeMastodon, account


def test_connectors_store_handles_without_an_at(loopback_server: Loopback, tmp_path: Path) -> None:
    fake = FakeBluesky(loopback_server)
    fake.notify("hello")
    [post] = make_bluesky(loopback_server).fetch(None).posts
    assert not post.author.handle.startswith("@") and post.author.handle.endswith(".bsky.social")


def test_a_local_mastodon_account_on_a_server_with_a_port_keeps_the_port(loopback_server: Loopback) -> None:
    fake = FakeMastodon(loopback_server)
    local = dict(account(4), acct="bob", url=f"{loopback_server.url}/@bob")  # a user of our own server
    fake.mention(author=local)
    client = httpx.Client(base_url=loopback_server.url)
    connector = MastodonConnector("support", {"base_url": loopback_server.url}, SECRET, client)
    [post] = connector.fetch(None).posts
    host_and_port = loopback_server.url.split("://")[1]
    assert ":" in host_and_port and post.author.handle == f"bob@{host_and_port}"
    assert connector.verify().startswith(f"@{ME['acct']}@{host_and_port} ")


def test_handles_stored_with_an_at_lose_it_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    before = 13  # the cache as the version before the bare-handle migration (number 14) left it
    for script in migrations()[:before]:
        for statement in statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.execute("INSERT INTO customers (id, display_name, first_seen) VALUES (1, 'Carol', 0)")
    conn.execute(
        "INSERT INTO identities (customer_id, network, native_id, handle, first_seen) "
        "VALUES (1, 'bluesky', 'did:plc:c', '@carol.test', 0)"
    )
    conn.execute(
        "INSERT INTO posts (network, native_id, author_native_id, author_handle, customer_id, text, "
        "created_at, fetched_at) VALUES ('bluesky', 'at://p', 'did:plc:c', '@carol.test', 1, 'hi', 0, 0)"
    )
    conn.close()
    store = Store(path)
    assert store.conn.execute("SELECT author_handle FROM posts").fetchone()[0] == "carol.test"
    assert store.conn.execute("SELECT handle FROM identities").fetchone()[0] == "carol.test"
    found = store.conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'carol'").fetchall()
    assert len(found) == 1


def test_each_connector_says_who_we_are_once_it_has_asked(loopback_server: Loopback) -> None:
    bluesky = FakeBluesky(loopback_server)
    bluesky.notify("hello")
    connector = make_bluesky(loopback_server)
    assert connector.own_author() is None  # not logged in yet
    connector.fetch(None)
    ours = connector.own_author()
    assert ours is not None and (ours.native_id, ours.handle) == (
        "did:plc:acmesupport0000000000000",
        "acme.bsky.social",
    )
