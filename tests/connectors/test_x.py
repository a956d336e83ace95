"""X connector against a loopback server shaped like X API v2."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from socialdesk.connectors.base import OutgoingReply, SendUncertain
from socialdesk.connectors.x import XConnector
from socialdesk.testing import SECRET, ConnectorContract, Loopback, Reply, Request

ME = {"id": "2244994945", "username": "AcmeSupport", "name": "Acme Support"}


class FakeX:
    """users/me, mentions (since_id + pagination_token), search/recent, tweets lookup, POST /2/tweets."""

    def __init__(self, server: Loopback, page: int = 100) -> None:
        self.server = server
        self.page = page
        self.mentions: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []
        self.n = 1_460_323_737_035_677_698
        server.route("GET", "/2/users/me", lambda r: {"data": ME})
        server.route(
            "GET",
            f"/2/users/{ME['id']}/mentions",
            lambda r: self.timeline(r, self.mentions, "pagination_token"),
        )
        server.route("GET", "/2/tweets/search/recent", self.search_recent)
        server.route(
            "GET", f"/2/users/{ME['id']}/tweets", lambda r: self.timeline(r, self.mine, "pagination_token")
        )
        server.route("POST", "/2/tweets", self.create)

    def tweet(self, text: str = "", *, author: str = "", reply_to: dict | None = None) -> dict[str, Any]:
        self.n += 1
        tid = str(self.n)
        author = author or str(1000 + self.n % 3)
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text or f"@AcmeSupport my order {tid[-4:]} never arrived",
            "author_id": author,
            "created_at": datetime.fromtimestamp(1_700_000_000 + self.n % 10_000, UTC)
            .isoformat()
            .replace("+00:00", ".000Z"),
            "conversation_id": reply_to["conversation_id"] if reply_to else tid,
            "lang": "en",
            "edit_history_tweet_ids": [tid],
        }
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            tweet["in_reply_to_user_id"] = reply_to["author_id"]
        return tweet

    def mention(self, **kwargs: Any) -> dict[str, Any]:
        tweet = self.tweet(**kwargs)
        self.mentions.append(tweet)
        return tweet

    def user(self, uid: str) -> dict[str, Any]:
        if uid == ME["id"]:
            return {**ME, "public_metrics": {"followers_count": 9}}
        return {
            "id": uid,
            "username": f"customer{uid}",
            "name": f"Customer {uid}",
            "public_metrics": {"followers_count": int(uid), "following_count": 1, "tweet_count": 3},
        }

    def timeline(self, request: Request, items: list[dict[str, Any]], token_param: str) -> Reply:
        since = request.arg("since_id")
        newest_first = sorted(items, key=lambda t: int(t["id"]), reverse=True)
        if since:
            newest_first = [t for t in newest_first if int(t["id"]) > int(since)]
        start = int(request.arg(token_param, "0") or 0)
        limit = min(int(request.arg("max_results", "10") or 10), self.page)
        chunk = newest_first[start : start + limit]
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "result_count": len(chunk),
            "newest_id": chunk[0]["id"],
            "oldest_id": chunk[-1]["id"],
        }
        if start + len(chunk) < len(newest_first):
            meta["next_token"] = str(start + len(chunk))
        users = [self.user(u) for u in dict.fromkeys(t.get("author_id", "0") for t in chunk)]
        return Reply(200, {"data": chunk, "includes": {"users": users}, "meta": meta})

    def search_recent(self, request: Request) -> Reply:
        query = request.arg("query") or ""
        if query.startswith("conversation_id:"):
            cid = query.split(":", 1)[1]
            items = [t for t in self.mentions + self.mine if t["conversation_id"] == cid and t["id"] != cid]
            return self.timeline(request, items, "next_token")
        return self.timeline(request, self.search, "next_token")

    def create(self, request: Request) -> Reply:
        body = request.json()
        self.n += 1
        parent = body.get("reply", {}).get("in_reply_to_tweet_id")
        tweet = {
            "id": str(self.n),
            "text": body["text"],
            "author_id": ME["id"],
            "edit_history_tweet_ids": [str(self.n)],
            "referenced_tweets": [{"type": "replied_to", "id": parent}] if parent else [],
        }
        self.mine.append(
            {**tweet, "created_at": "2024-01-01T00:00:00.000Z", "conversation_id": parent or tweet["id"]}
        )
        return Reply(
            201, {"data": {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}}
        )


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
