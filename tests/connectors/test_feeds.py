"""Feeds connector against a loopback server serving RSS and Atom."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest

from socialdesk.connectors.feeds import FeedsConnector
from socialdesk.testing import ConnectorContract, Loopback, Reply, Request


class FakeFeed:
    """An RSS 2.0 feed with ETag support."""

    def __init__(self, server: Loopback) -> None:
        self.items: list[dict[str, Any]] = []
        self.version = 0
        server.route("GET", "/feed.xml", self.serve)

    def add(self, title: str = "", *, date: bool = True, guid: bool = True, link: bool = True) -> str:
        n = len(self.items) + 1
        item = {
            "guid": f"https://forum.example/t/{n}" if guid else "",
            "link": f"https://forum.example/t/{n}" if link else "",
            "title": title or f"Acme router keeps rebooting ({n})",
            "description": f"<p>Since the update my <b>router</b> reboots. Post {n}</p>",
            "date": format_datetime(datetime.fromtimestamp(1_700_000_000 + n * 60, UTC)) if date else "",
        }
        self.items.append(item)
        self.version += 1
        return item["guid"]

    def serve(self, request: Request) -> Reply:
        etag = f'"v{self.version}"'
        if request.headers.get("if-none-match") == etag:
            return Reply(304, b"", {"ETag": etag})
        parts = []
        for i in reversed(self.items):
            parts.append(
                "<item>"
                + "".join(
                    f"<{tag}>{escape(i[key])}</{tag}>"
                    for tag, key in (
                        ("guid", "guid"),
                        ("link", "link"),
                        ("title", "title"),
                        ("description", "description"),
                        ("pubDate", "date"),
                    )
                    if i[key]
                )
                + "</item>"
            )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Acme Forum</title>'
            f"<link>https://forum.example/</link>{''.join(parts)}</channel></rss>"
        )
        return Reply(200, xml.encode(), {"Content-Type": "application/rss+xml", "ETag": etag})


def make(server: Loopback) -> FeedsConnector:
    return FeedsConnector("forum", {"url": f"{server.url}/feed.xml"}, None, httpx.Client(timeout=2))


class TestFeedsContract(ConnectorContract):
    connector_class = FeedsConnector
    needs_secret = False

    def serve(self, server: Loopback) -> None:
        self.fake = FakeFeed(server)
        self.fake.add()
        self.fake.add()

    def make_connector(self, server: Loopback) -> FeedsConnector:
        return make(server)

    def add_post(self, server: Loopback) -> str:
        return self.fake.add()

    def add_malformed(self, server: Loopback) -> None:
        self.fake.add()
        self.fake.add(date=False)

    def rate_limit_headers(self, reset_at: float) -> dict[str, str]:
        return {"Retry-After": format_datetime(datetime.fromtimestamp(reset_at, UTC), usegmt=True)}


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeFeed:
    return FakeFeed(loopback_server)


def test_entry_fields(fake: FakeFeed, loopback_server: Loopback) -> None:
    guid = fake.add("Acme <support> is slow")
    post = make(loopback_server).fetch(None).posts[0]
    assert post.native_id == guid and post.url == guid and post.kind == "feed"
    assert post.text == "Acme <support> is slow\n\nSince the update my router reboots. Post 1"
    assert post.author.handle == "Acme Forum"
    assert post.created_at == 1_700_000_060


def test_unchanged_feed_is_one_conditional_request(fake: FakeFeed, loopback_server: Loopback) -> None:
    fake.add()
    connector = make(loopback_server)
    first = connector.fetch(None)
    second = connector.fetch(first.cursor)
    assert second.posts == [] and second.cursor == first.cursor
    assert loopback_server.calls("GET", "/feed.xml")[1].headers["if-none-match"] == '"v1"'


def test_broken_entry_is_quarantined_once(fake: FakeFeed, loopback_server: Loopback) -> None:
    fake.add(date=False)
    connector = make(loopback_server)
    first = connector.fetch(None)
    assert len(first.quarantined) == 1
    fake.add()
    second = connector.fetch(first.cursor)
    assert len(second.posts) == 1 and second.quarantined == []


def test_atom_feed(loopback_server: Loopback) -> None:
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Reviews</title>'
        "<entry><id>tag:reviews.example,2024:1</id><title>Two stars</title>"
        "<updated>2024-05-01T09:30:00Z</updated>"
        '<author><name>Jane</name></author><link href="https://reviews.example/1"/>'
        '<summary type="html">&lt;p&gt;Late &amp;amp; broken&lt;/p&gt;</summary></entry></feed>'
    )
    loopback_server.route(
        "GET", "/feed.xml", lambda r: Reply(200, atom.encode(), {"Content-Type": "application/atom+xml"})
    )
    post = make(loopback_server).fetch(None).posts[0]
    assert (post.native_id, post.author.handle, post.text) == (
        "tag:reviews.example,2024:1",
        "Jane",
        "Two stars\n\nLate & broken",
    )


def test_html_page_instead_of_a_feed(loopback_server: Loopback) -> None:
    loopback_server.route("GET", "/feed.xml", lambda r: Reply(200, "<html><body>Login</body></html>"))
    result = None
    try:
        result = make(loopback_server).fetch(None)
    except Exception as exc:  # either refused as unreadable, or read as an empty feed
        assert "not a readable feed" in str(exc)
    if result is not None:
        assert result.posts == []
