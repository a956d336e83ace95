"""Bluesky quote posts show the post they quote: from getPosts for a notification's bare record, from
the embed view for search results and threads."""

from __future__ import annotations

from typing import Any

import pytest

from socialdesk.testing import Loopback, Request
from tests.connectors.test_bluesky import ME, FakeBluesky, make

GET_POSTS = "/xrpc/app.bsky.feed.getPosts"


class FakeQuotes(FakeBluesky):
    """getPosts also knows our own posts (`ours`), as the appview does once it has indexed them."""

    def __init__(self, server: Loopback) -> None:
        super().__init__(server)
        self.ours: dict[str, dict[str, Any]] = {}

    def our_post(self, text: str) -> dict[str, Any]:
        view = self.view(text, author=ME)
        view["author"]["handle"] = "acme.bsky.social"
        self.ours[view["uri"]] = view
        return view

    def get_posts(self, request: Request) -> Any:
        found = super().get_posts(request)
        uris = request.query.get("uris", [])
        keys = ("uri", "cid", "author", "record", "indexedAt")
        found["posts"] += [{k: self.ours[u][k] for k in keys} for u in uris if u in self.ours]
        return found


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeQuotes:
    return FakeQuotes(loopback_server)


def quoting(fake: FakeQuotes, quoted: dict[str, Any], text: str, with_media: bool = False) -> dict[str, Any]:
    item = fake.notify(text, reason="quote")
    ref = {"uri": quoted["uri"], "cid": quoted["cid"]}
    if with_media:
        image = {"$type": "blob", "ref": {"$link": "bafkreimage"}, "mimeType": "image/jpeg", "size": 1000}
        item["record"]["embed"] = {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"$type": "app.bsky.embed.record", "record": ref},
            "media": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": image}]},
        }
    else:
        item["record"]["embed"] = {"$type": "app.bsky.embed.record", "record": ref}
    return item


@pytest.mark.parametrize("with_media", [False, True])
def test_a_quote_of_our_post_shows_the_quoted_post(
    fake: FakeQuotes, loopback_server: Loopback, with_media: bool
) -> None:
    ours = fake.our_post("Our new returns policy:   30 days")
    quote = quoting(fake, ours, "this is not what you told me", with_media)
    [post] = make(loopback_server).fetch(None).posts
    assert post.native_id == quote["uri"] and post.kind == "mention"
    assert (
        post.text
        == "this is not what you told me\n[quoting @acme.bsky.social: Our new returns policy: 30 days]"
    )
    assert len(loopback_server.calls("GET", GET_POSTS)) == 1  # one lookup for the page's quotes


def test_a_quote_of_a_deleted_post_says_so(fake: FakeQuotes, loopback_server: Loopback) -> None:
    gone = fake.view("deleted since", author=ME)
    quoting(fake, gone, "you deleted it!")
    [post] = make(loopback_server).fetch(None).posts
    assert post.text == "you deleted it!\n[quoting a post that is gone]"


def test_a_search_result_quotes_from_its_embed_view(fake: FakeQuotes, loopback_server: Loopback) -> None:
    hit = fake.view("acme lies, see")
    quoted = {
        "$type": "app.bsky.embed.record#viewRecord",
        "uri": "at://did:plc:other/app.bsky.feed.post/3kq",
        "cid": "bafyq",
        "author": {"did": "did:plc:other", "handle": "other.bsky.social"},
        "value": {"$type": "app.bsky.feed.post", "text": "acme refunded me", "createdAt": hit["indexedAt"]},
        "indexedAt": hit["indexedAt"],
    }
    hit["record"]["embed"] = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": quoted["uri"], "cid": "bafyq"},
    }
    hit["embed"] = {"$type": "app.bsky.embed.record#view", "record": quoted}
    fake.search.append(hit)
    [post] = make(loopback_server, search_terms=["acme"]).fetch(None).posts
    assert post.text == "acme lies, see\n[quoting @other.bsky.social: acme refunded me]"
    assert loopback_server.calls("GET", GET_POSTS) == []
