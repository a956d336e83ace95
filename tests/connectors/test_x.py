"""X connector against a loopback server shaped like X API v2."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from socialdesk.connectors.base import OutgoingReply, SendUncertain
from socialdesk.connectors.x import XConnector
from socialdesk.testing import SECRET, ConnectorContract, Loopback, Reply
from tests.connectors.fake_x import ME, FakeX


def make(server: Loopback, secret: str | None = SECRET, **options: Any) -> XConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(2.0))
    return XConnector("brand-x", options, secret, client)


class TestXContract(ConnectorContract):
    connector_class = XConnector

    def serve(self, server: Loopback) -> None:
        self.fake = FakeX(server, page=2)
        for _ in range(3):
            self.fake.mention()

    def make_connector(self, server: Loopback) -> XConnector:
        return make(server, self.secret)

    def add_post(self, server: Loopback) -> str:
        return str(self.fake.mention()["id"])

    def add_malformed(self, server: Loopback) -> None:
        self.fake.mention()
        self.fake.mention()["created_at"] = "yesterday-ish"

    def rate_limit_headers(self, reset_at: float) -> dict[str, str]:
        return {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(reset_at)),
        }


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeX:
    return FakeX(loopback_server)


def test_mention_fields_and_includes(fake: FakeX, loopback_server: Loopback) -> None:
    root = fake.mention()
    child = fake.mention(text="@AcmeSupport see https://t.co/abc", reply_to={**root, "author_id": ME["id"]})
    child["entities"] = {
        "urls": [
            {
                "start": 17,
                "end": 34,
                "url": "https://t.co/abc",
                "expanded_url": "https://evil.example/x",
                "display_url": "evil.example/x",
            }
        ]
    }
    posts = {p.native_id: p for p in make(loopback_server).fetch(None).posts}
    post = posts[child["id"]]
    assert post.text == "@AcmeSupport see https://evil.example/x"
    assert post.in_reply_to == root["id"] and post.conversation_id == root["id"]
    assert post.kind == "reply" and post.author.handle == f"@customer{child['author_id']}"
    assert post.author.followers == int(child["author_id"])
    assert post.url.endswith(f"/status/{child['id']}")


def test_since_id_and_next_token(fake: FakeX, loopback_server: Loopback) -> None:
    fake.page = 2
    fake.mention()
    connector = make(loopback_server)
    first = connector.fetch(None)
    new = {fake.mention()["id"] for _ in range(5)}
    second = connector.fetch(first.cursor)
    assert {p.native_id for p in second.posts} == new
    calls = loopback_server.calls("GET", f"/2/users/{ME['id']}/mentions")
    assert calls[1].arg("since_id") == fake.mentions[0]["id"]
    assert [c.arg("pagination_token") for c in calls[1:]] == [None, "2", "4"]
    third = connector.fetch(second.cursor)
    assert third.posts == []


def test_conversation_lookup(fake: FakeX, loopback_server: Loopback) -> None:
    root = fake.mention()
    child = fake.mention(reply_to=root)
    loopback_server.route(
        "GET",
        f"/2/tweets/{child['id']}",
        lambda r: {"data": child, "includes": {"users": [fake.user(child["author_id"])]}},
    )
    loopback_server.route(
        "GET",
        f"/2/tweets/{root['id']}",
        lambda r: {"data": root, "includes": {"users": [fake.user(root["author_id"])]}},
    )
    posts = make(loopback_server).fetch_thread(child["id"])
    assert [p.native_id for p in posts] == [root["id"], child["id"]]
    query = loopback_server.calls("GET", "/2/tweets/search/recent")[0].arg("query")
    assert query == f"conversation_id:{root['id']}"


def test_reply_body_and_no_blind_retry(fake: FakeX, loopback_server: Loopback) -> None:
    connector = make(loopback_server)
    result = connector.send(OutgoingReply("k", "We're on it", "123"))
    assert loopback_server.calls("POST", "/2/tweets")[0].json() == {
        "text": "We're on it",
        "reply": {"in_reply_to_tweet_id": "123"},
    }
    assert result.native_id == fake.mine[-1]["id"]
    loopback_server.fail_next(Reply(503, {"title": "Service Unavailable"}))
    with pytest.raises(SendUncertain):
        connector.send(OutgoingReply("k2", "Second", "124"))
    assert len(loopback_server.calls("POST", "/2/tweets")) == 2  # one attempt each, never repeated


def test_find_sent_before_a_retry(fake: FakeX, loopback_server: Loopback) -> None:
    connector = make(loopback_server)
    reply = OutgoingReply("k", "@customer1001 Sorry about that", "555")
    assert connector.find_sent(reply) is None
    sent = connector.send(reply)
    assert connector.find_sent(reply) == sent
    assert connector.find_sent(OutgoingReply("k", "@customer1001 Sorry about that", "556")) is None


def test_empty_mentions_keep_the_cursor(fake: FakeX, loopback_server: Loopback) -> None:
    first = make(loopback_server).fetch(None)
    fake.mention()
    second = make(loopback_server).fetch(first.cursor)
    assert len(second.posts) == 1
