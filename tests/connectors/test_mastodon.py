"""Mastodon connector against a loopback server shaped like the Mastodon client API."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from socialdesk.connectors.base import (
    AuthError,
    OutgoingReply,
    RateLimited,
    SendUncertain,
    TransientError,
)
from socialdesk.connectors.http import RetryPolicy
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.testing import SECRET, ConnectorContract, Loopback, Reply, Request
from tests.outbox.fake_mastodon import render

MENTION = (
    '<span class="h-card"><a href="https://m.example/@acme" class="u-url mention">'
    "@<span>acme</span></a></span>"
)
ME = {
    "id": "109",
    "username": "acme",
    "acct": "acme",
    "display_name": "Acme Support",
    "url": "https://m.example/@acme",
}


def account(n: int, name: str = "") -> dict[str, Any]:
    name = name or f"user{n}"
    return {
        "id": str(n),
        "username": name,
        "acct": f"{name}@other.example",
        "display_name": name.title(),
        "locked": False,
        "bot": False,
        "url": f"https://other.example/@{name}",
        "followers_count": 10 * n,
        "following_count": 1,
        "statuses_count": 5,
        "note": "<p>hi</p>",
        "avatar": "",
        "emojis": [],
        "fields": [],
    }


# Statuses date from a day ago: a first sync keeps what lies within its backfill horizon (7 days).
RECENT = int(time.time()) - 86_400


def status(
    sid: int,
    text: str = "",
    *,
    reply_to: int | None = None,
    author: dict | None = None,
    visibility: str = "public",
    cw: str = "",
) -> dict[str, Any]:
    created = datetime.fromtimestamp(RECENT + sid, UTC).isoformat().replace("+00:00", ".000Z")
    return {
        "id": str(sid),
        "created_at": created,
        "in_reply_to_id": str(reply_to) if reply_to else None,
        "in_reply_to_account_id": ME["id"] if reply_to else None,
        "sensitive": bool(cw),
        "spoiler_text": cw,
        "visibility": visibility,
        "language": "en",
        "uri": f"https://other.example/users/x/statuses/{sid}",
        "url": f"https://other.example/@x/{sid}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": None,
        "content": text or f"<p>{MENTION} help with order {sid}</p>",
        "reblog": None,
        "application": {"name": "Web", "website": None},
        "account": author or account(sid % 7 + 1),
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }


class FakeMastodon:
    """Notifications, tag timeline, search, statuses and context, paged like Mastodon pages them."""

    def __init__(self, server: Loopback) -> None:
        self.server = server
        self.notifications: list[dict[str, Any]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self.tagged: list[dict[str, Any]] = []
        self.context: dict[str, dict[str, Any]] = {}
        self.next_id = 1000
        self.sent: dict[str, dict[str, Any]] = {}
        self.max_characters = 1000
        server.route("GET", "/api/v1/accounts/verify_credentials", lambda r: ME)
        server.route(
            "GET",
            "/api/v2/instance",
            lambda r: {
                "domain": "m.example",
                "configuration": {"statuses": {"max_characters": self.max_characters}},
            },
        )
        server.route("GET", "/api/v1/notifications", lambda r: self.page(r, self.notifications))
        server.route("GET", "/api/v1/timelines/tag/acme", lambda r: self.page(r, self.tagged))
        server.route("POST", "/api/v1/statuses", self.post_status)

    def mention(self, **kwargs: Any) -> dict[str, Any]:
        self.next_id += 1
        st = status(self.next_id, **kwargs)
        self.statuses[st["id"]] = st
        self.notifications.append(
            {
                "id": str(self.next_id + 50000),
                "type": "mention",
                "created_at": st["created_at"],
                "account": st["account"],
                "status": st,
            }
        )
        self.server.route("GET", f"/api/v1/statuses/{st['id']}", lambda r, st=st: st)
        return st

    def page(self, request: Request, items: list[dict[str, Any]]) -> Reply:
        limit = int(request.arg("limit", "20") or 20)
        ordered = sorted(items, key=lambda i: int(i["id"]))
        min_id = request.arg("min_id")
        # min_id: the page right after it (Mastodon pages forward this way); none: the newest page.
        chosen = [i for i in ordered if int(i["id"]) > int(min_id)][:limit] if min_id else ordered[-limit:]
        chosen.reverse()
        headers = {}
        if chosen:
            base = f"{self.server.url}{request.path}"
            headers["Link"] = (
                f'<{base}?max_id={chosen[-1]["id"]}>; rel="next", '
                f'<{base}?min_id={chosen[0]["id"]}>; rel="prev"'
            )
        return Reply(200, chosen, headers)

    def post_status(self, request: Request) -> Reply:
        body = request.json()
        self.next_id += 1
        known = {s["account"]["acct"].lower(): s["account"] for s in self.statuses.values()}
        st = status(
            self.next_id,
            render(body["status"], known),  # mentions as h-cards, like the real server
            author={**ME, "followers_count": 1},
            visibility=body.get("visibility", "public"),
        )
        st["in_reply_to_id"] = body.get("in_reply_to_id")
        self.sent[request.headers.get("idempotency-key", "")] = st
        return Reply(200, st)


def make(server: Loopback, secret: str | None = SECRET, **options: Any) -> MastodonConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(2.0))
    return MastodonConnector("support", {"base_url": server.url, **options}, secret, client)


class TestMastodonContract(ConnectorContract):
    connector_class = MastodonConnector

    def serve(self, server: Loopback) -> None:
        self.fake = FakeMastodon(server)
        for _ in range(3):
            self.fake.mention()

    def make_connector(self, server: Loopback) -> MastodonConnector:
        return make(server, self.secret)

    def add_post(self, server: Loopback) -> str:
        return str(self.fake.mention()["id"])

    def add_malformed(self, server: Loopback) -> None:
        self.fake.mention()
        broken = self.fake.mention()
        del broken["account"]

    def rate_limit_headers(self, reset_at: float) -> dict[str, str]:
        # Mastodon sends the reset as an ISO time and often no Retry-After on a 429.
        iso = datetime.fromtimestamp(reset_at, UTC).isoformat().replace("+00:00", ".000Z")
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": iso}


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeMastodon:
    return FakeMastodon(loopback_server)


def test_mention_becomes_a_plain_text_post(fake: FakeMastodon, loopback_server: Loopback) -> None:
    fake.mention(
        text='<p>My order <a href="https://evil.example/x">paypal.com/help</a><br>is late</p>',
        cw="order trouble",
    )
    post = make(loopback_server).fetch(None).posts[0]
    assert post.text == "My order paypal.com/help (evil.example)\nis late"
    assert post.content_warning == "order trouble"
    assert post.author.handle.startswith("user") and post.author.handle.endswith("@other.example")
    assert post.kind == "mention" and post.raw["type"] == "mention"


def test_direct_visibility_is_a_dm(fake: FakeMastodon, loopback_server: Loopback) -> None:
    fake.mention(visibility="direct")
    assert make(loopback_server).fetch(None).posts[0].kind == "dm"


def test_pages_forward_with_min_id_from_the_link_header(
    fake: FakeMastodon, loopback_server: Loopback
) -> None:
    fake.mention()
    connector = make(loopback_server, page_size=2)
    first = connector.fetch(None)
    for _ in range(5):
        fake.mention()
    second = connector.fetch(first.cursor)
    assert second.more and len(second.posts) == 2
    third = connector.fetch(second.cursor)
    sent_min_ids = [r.arg("min_id") for r in loopback_server.calls("GET", "/api/v1/notifications")]
    assert sent_min_ids[1] == fake.notifications[0]["id"]
    assert sent_min_ids[2] == fake.notifications[2]["id"]  # the Link header's prev min_id
    ids = {p.native_id for p in second.posts + third.posts}
    assert len(ids) == 4


def test_server_character_limit_is_read(fake: FakeMastodon, loopback_server: Loopback) -> None:
    connector = make(loopback_server)
    assert connector.limit() == 500
    connector.fetch(None)
    assert connector.limit() == 1000


def test_reply_thread_root_comes_from_the_context(fake: FakeMastodon, loopback_server: Loopback) -> None:
    root = fake.mention()
    child = fake.mention(reply_to=int(root["id"]))
    loopback_server.route(
        "GET", f"/api/v1/statuses/{child['id']}/context", lambda r: {"ancestors": [root], "descendants": []}
    )
    posts = {p.native_id: p for p in make(loopback_server).fetch(None).posts}
    assert posts[child["id"]].conversation_id == root["id"]
    assert posts[child["id"]].in_reply_to == root["id"]
    assert posts[child["id"]].kind == "reply"


def test_fetch_thread(fake: FakeMastodon, loopback_server: Loopback) -> None:
    root = fake.mention()
    child = fake.mention(reply_to=int(root["id"]))
    ours = status(5000, "<p>We are on it</p>", reply_to=int(child["id"]), author={**ME, "followers_count": 1})
    loopback_server.route(
        "GET",
        f"/api/v1/statuses/{child['id']}/context",
        lambda r: {"ancestors": [root], "descendants": [ours]},
    )
    posts = make(loopback_server).fetch_thread(child["id"])
    assert [p.native_id for p in posts] == [root["id"], child["id"], "5000"]
    assert {p.conversation_id for p in posts} == {root["id"]}
    assert posts[-1].is_ours and posts[-1].kind == "own"


PUBLIC_PARENT = {"parent_raw": {"visibility": "public"}}


def test_send_carries_the_idempotency_key(fake: FakeMastodon, loopback_server: Loopback) -> None:
    connector = make(loopback_server)
    connector.send(
        OutgoingReply(idempotency_key="k-1", text="Sorry! DM us", in_reply_to="1001", extra=PUBLIC_PARENT)
    )
    sent = loopback_server.calls("POST", "/api/v1/statuses")
    assert [r.headers["idempotency-key"] for r in sent] == ["k-1"]
    assert sent[0].json() == {
        "status": "Sorry! DM us",
        "visibility": "public",
        "content_type": "text/plain",
        "in_reply_to_id": "1001",
    }


def test_dm_is_direct_and_mentions_the_recipient(fake: FakeMastodon, loopback_server: Loopback) -> None:
    reply = OutgoingReply("k-2", "your refund is on its way", None, to_handle="bob@other.example", dm=True)
    make(loopback_server).send(reply)
    body = loopback_server.calls("POST", "/api/v1/statuses")[0].json()
    assert body == {
        "status": "@bob@other.example your refund is on its way",
        "visibility": "direct",
        "content_type": "text/plain",
    }


@pytest.mark.parametrize(
    "failure", [Reply(drop=True), Reply(502, "bad gateway"), Reply(200, {"id": "9"}, delay=3)]
)
def test_a_post_that_may_have_arrived_is_never_sent_again(
    fake: FakeMastodon, loopback_server: Loopback, failure: Reply
) -> None:
    # The HTTP layer once re-sent the same POST three times while a server stalled: with a key
    # GoToSocial ignores, or Mastodon stores only after creating, each repeat was a new status.
    loopback_server.fail_next(failure, 3)
    with pytest.raises(SendUncertain):
        make(loopback_server).send(OutgoingReply("k-3", "hello", "1001", extra=PUBLIC_PARENT))
    assert len(loopback_server.calls("POST", "/api/v1/statuses")) == 1


def test_a_post_that_never_left_is_sent_again() -> None:
    # Connection refused proves the request never reached the server: the one blind retry allowed.
    attempts = []

    def transport(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"id": "5", "url": "https://m.example/@acme/5"})

    client = httpx.Client(base_url="https://m.example", transport=httpx.MockTransport(transport))
    connector = MastodonConnector("support", {"base_url": "https://m.example"}, SECRET, client)
    connector.api.policy = RetryPolicy(base_delay=0, sleep=lambda s: None)
    assert connector.send(OutgoingReply("k-5", "hello", "1001", extra=PUBLIC_PARENT)).native_id == "5"
    assert len(attempts) == 2


def test_429_without_reset_header_waits_a_default(fake: FakeMastodon, loopback_server: Loopback) -> None:
    loopback_server.fail_next(Reply(429, {"error": "Too many requests"}), 3)
    with pytest.raises(RateLimited) as caught:
        make(loopback_server).fetch(None)
    assert caught.value.until > time.time() + 30


def test_missing_token_is_auth_error(fake: FakeMastodon, loopback_server: Loopback) -> None:
    with pytest.raises(AuthError):
        make(loopback_server, secret=None).fetch(None)


def test_empty_body_is_transient(fake: FakeMastodon, loopback_server: Loopback) -> None:
    loopback_server.fail_next(Reply(200, b""), 5)
    with pytest.raises(TransientError, match="empty body"):
        make(loopback_server).fetch(None)


def test_huge_page_is_parsed(fake: FakeMastodon, loopback_server: Loopback) -> None:
    for _ in range(40):
        fake.mention(text="<p>" + "très long " * 20_000 + "</p>")
    posts = make(loopback_server).fetch(None).posts
    assert len(posts) == 40 and len(posts[0].text) > 190_000


def test_oversized_body_is_refused(fake: FakeMastodon, loopback_server: Loopback) -> None:
    fake.mention(text="<p>" + "x" * 50_000 + "</p>")
    connector = make(loopback_server)
    connector.api.max_body = 10_000
    with pytest.raises(TransientError, match="larger than"):
        connector.fetch(None)


def test_hashtag_stream_has_its_own_position(fake: FakeMastodon, loopback_server: Loopback) -> None:
    fake.tagged.append(status(300, "<p>#acme is great</p>"))
    connector = make(loopback_server, hashtags=["#acme"])
    first = connector.fetch(None)
    assert [p.kind for p in first.posts if p.native_id == "300"] == ["search"]
    fake.tagged.append(status(301, "<p>#acme broke</p>"))
    second = connector.fetch(first.cursor)
    assert [p.native_id for p in second.posts] == ["301"]
