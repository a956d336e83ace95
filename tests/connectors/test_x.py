"""X connector against a loopback server shaped like X API v2."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from socialdesk.connectors.base import (
    AuthError,
    CannotTell,
    OutgoingReply,
    PermanentError,
    SendUncertain,
)
from socialdesk.connectors.x import XConnector
from socialdesk.testing import SECRET, ConnectorContract, Loopback, Reply
from tests.connectors.fake_x import ME, NOT_ENROLLED, FakeX


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
    assert post.kind == "reply" and post.author.handle == f"customer{child['author_id']}"
    assert post.author.followers == int(child["author_id"])
    assert post.url.endswith(f"/status/{child['id']}")


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


@pytest.mark.parametrize(
    ("setup", "reply", "words"),
    [
        ("duplicate", OutgoingReply("k2", "We're on it", "123"), "duplicate content"),
        ("deleted", OutgoingReply("k2", "Sorry!", "777"), "deleted or not visible"),
        ("dm", OutgoingReply("k2", "Hi", None, to_native_id="42", dm=True), "cannot send messages"),
        ("self_serve", OutgoingReply("k2", "Hello", ""), "not allowed"),
    ],
)
def test_a_403_about_this_reply_refuses_it_with_xs_words(
    fake: FakeX, loopback_server: Loopback, setup: str, reply: OutgoingReply, words: str
) -> None:
    connector = make(loopback_server)
    fake.dm_partner("42")
    fake.closed_dms.add("42")
    fake.deleted.add("777")
    connector.send(OutgoingReply("k1", "We're on it", "124"))
    if setup == "self_serve":
        fake.self_serve = True
        reply.in_reply_to = fake.search_hit("acme broke my phone")["id"]
    with pytest.raises(PermanentError) as refused:
        connector.send(reply)
    assert not isinstance(refused.value, AuthError) and words in str(refused.value)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        (403, NOT_ENROLLED),
    ],
)
def test_only_401_or_a_403_about_the_token_or_app_needs_auth(
    fake: FakeX, loopback_server: Loopback, status: int, body: dict[str, Any]
) -> None:
    loopback_server.fail_next(Reply(status, body))
    with pytest.raises(AuthError):
        make(loopback_server).send(OutgoingReply("k", "We're on it", "123"))


def test_a_dm_is_found_in_the_conversation_after_the_attempt(fake: FakeX, loopback_server: Loopback) -> None:
    fake.dm_partner("42")
    connector = make(loopback_server)
    attempt = datetime.now(UTC).timestamp()
    reply = OutgoingReply(
        "k",
        "Your refund is on its way",
        None,
        to_native_id="42",
        dm=True,
        first_attempt_at=attempt,
    )
    assert connector.find_sent(reply) is None  # the whole conversation was read: proof of absence
    sent = connector.send(reply)
    assert connector.find_sent(reply) == sent
    fake.dm_read = False  # a token without dm.read: the lookup proves nothing
    with pytest.raises(CannotTell):
        connector.find_sent(reply)


def test_a_dm_lookup_that_cannot_reach_the_attempt_cannot_check(
    fake: FakeX, loopback_server: Loopback
) -> None:
    fake.dm_partner("42")
    fake.page = 2
    connector = make(loopback_server)
    attempt = datetime.now(UTC).timestamp()
    for i in range(12):  # newer than the attempt, more than MAX_PAGES pages of them
        connector.send(OutgoingReply(f"k{i}", f"message {i}", None, to_native_id="42", dm=True))
    reply = OutgoingReply("k", "lost one", None, to_native_id="42", dm=True, first_attempt_at=attempt)
    with pytest.raises(CannotTell):
        connector.find_sent(reply)


def test_find_sent_reads_every_post_since_the_attempt(fake: FakeX, loopback_server: Loopback) -> None:
    fake.page = 3
    connector = make(loopback_server)
    attempt = datetime.now(UTC).timestamp()
    reply = OutgoingReply("k", "@customer1001 Sorry about that", "555", first_attempt_at=attempt)
    sent = connector.send(reply)
    for i in range(8):  # the reply is now on the third page of our timeline
        connector.send(OutgoingReply(f"k{i}", f"other answer {i}", "600"))
    assert connector.find_sent(reply) == sent
    assert loopback_server.calls("GET", f"/2/users/{ME['id']}/tweets")[-1].arg("start_time")


def test_search_hits_from_authors_who_did_not_mention_us_are_marked_no_reply(
    fake: FakeX, loopback_server: Loopback, tmp_path: Any
) -> None:
    from socialdesk.store import Store
    from socialdesk.store.queries import get_post_by_native

    stranger = fake.search_hit("acme broke my phone")
    mentioning = fake.search_hit("@AcmeSupport acme broke my phone too")
    mentioning["entities"] = {
        "mentions": [{"start": 0, "end": 12, "username": "AcmeSupport", "id": ME["id"]}]
    }
    quoting = fake.search_hit("look at this acme thing")
    quoting["referenced_tweets"] = [{"type": "quoted", "id": "1"}]
    posts = {p.native_id: p for p in make(loopback_server, search_terms=["acme"]).fetch(None).posts}
    assert posts[stranger["id"]].raw.get("reply_limited") is True
    assert (
        "reply_limited" not in posts[mentioning["id"]].raw and "reply_limited" not in posts[quoting["id"]].raw
    )
    store = Store(tmp_path / "x.db")
    store.upsert_posts(posts.values())
    limited = get_post_by_native(store.conn, "x", stranger["id"])
    allowed = get_post_by_native(store.conn, "x", mentioning["id"])
    assert limited is not None and limited.reply_limited and allowed is not None and not allowed.reply_limited
    enterprise = make(loopback_server, search_terms=["acme"], self_serve=False).fetch(None).posts
    assert not any(p.raw.get("reply_limited") for p in enterprise)


def test_a_deleted_post_is_refused_before_the_review(fake: FakeX, loopback_server: Loopback) -> None:
    alive, gone = fake.mention(), fake.mention()
    fake.deleted.add(gone["id"])
    connector = make(loopback_server)
    assert connector.refusal(OutgoingReply("", "Sorry!", alive["id"])) is None
    assert "no longer exists" in str(connector.refusal(OutgoingReply("", "Sorry!", gone["id"])))
    assert connector.refusal(OutgoingReply("", "psst", None, to_native_id="42", dm=True)) is None
    assert loopback_server.calls("POST", "/2/tweets") == []
