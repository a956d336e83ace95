"""Bluesky connector against a loopback server shaped like the AT Protocol's XRPC lexicons."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from socialdesk.connectors.atproto_richtext import facets
from socialdesk.connectors.atproto_tid import legacy_rkey_for, rkey_for, tid
from socialdesk.connectors.base import OutgoingReply, SendUncertain
from socialdesk.connectors.bluesky import BlueskyConnector
from socialdesk.connectors.http import parse_time
from socialdesk.testing import SECRET, ConnectorContract, Loopback, Reply, Request
from tests.connectors.faults import scripted

ME = "did:plc:acmesupport0000000000000"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeBluesky:
    """createSession/refreshSession, listNotifications, searchPosts, getPosts, createRecord, getRecord.

    As on the real network the PDS (createRecord, getRecord) is consistent at once while the AppView
    (getPosts, ...) indexes a new record only later: records wait in `unindexed` until `index()`.
    Fault switches for the exactly-once suite: `script` (tests/connectors/faults.py) says what the
    next createRecord calls do (a repeat of a taken record key is refused, as the PDS does).
    """

    def __init__(self, server: Loopback, page: int = 100) -> None:
        self.server = server
        self.page = page
        self.notifications: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.records: dict[str, dict[str, Any]] = {}  # the PDS's repo: uri -> record
        self.cids: dict[str, str] = {}
        self.unindexed: list[str] = []  # written to the repo, not yet seen by the AppView
        self.script: deque[str] = deque()  # faults of the next createRecord calls (faults.py)
        self.n = 0
        self.base = time.time() - 3 * 3_600  # posts 10 s apart, inside the default backfill horizon
        self.access = "access-1"
        self.sessions = 0
        self.expire_next = False
        r = server.route
        r("POST", "/xrpc/com.atproto.server.createSession", self.create_session)
        r("POST", "/xrpc/com.atproto.server.refreshSession", self.refresh_session)
        r("GET", "/xrpc/app.bsky.notification.listNotifications", self.list_notifications)
        r("GET", "/xrpc/app.bsky.feed.searchPosts", lambda q: self.paged(q, self.search, "posts"))
        r("GET", "/xrpc/app.bsky.feed.getPosts", self.get_posts)
        # No direct messages (tests/connectors/test_bluesky_dms.py serves the chat service).
        r("GET", "/xrpc/chat.bsky.convo.listConvos", lambda q: {"convos": []})
        r("POST", "/xrpc/com.atproto.repo.createRecord", self.create_record)
        r("GET", "/xrpc/com.atproto.repo.getRecord", self.get_record)
        r(
            "GET",
            "/xrpc/com.atproto.identity.resolveHandle",
            lambda q: (
                {"did": "did:plc:bob"}
                if q.arg("handle") == "bob.bsky.social"
                else Reply(400, {"error": "InvalidRequest", "message": "Unable to resolve handle"})
            ),
        )

    def create_session(self, request: Request) -> Reply:
        body = request.json()
        if body["password"] != SECRET:
            return Reply(
                401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            )
        self.sessions += 1
        return Reply(
            200,
            {
                "did": ME,
                "handle": body["identifier"],
                "accessJwt": self.access,
                "refreshJwt": "refresh-1",
                "active": True,
            },
        )

    def refresh_session(self, request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer refresh-1":
            return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        self.access = "access-2"
        return Reply(
            200,
            {"did": ME, "handle": "acme.bsky.social", "accessJwt": self.access, "refreshJwt": "refresh-1"},
        )

    def authorized(self, request: Request) -> Reply | None:
        if self.expire_next:
            self.expire_next = False
            self.access = "access-stale"
            return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if request.headers.get("authorization") != f"Bearer {self.access}":
            return Reply(401, {"error": "AuthenticationRequired", "message": "Invalid token"})
        return None

    def view(
        self,
        text: str,
        *,
        reason: str = "mention",
        reply_to: dict | None = None,
        author: str = "",
        facets_: list | None = None,
        at: float | None = None,
    ) -> dict[str, Any]:
        self.n += 1
        at = self.base + 10 * self.n if at is None else at
        did = author or f"did:plc:user{self.n % 5}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(at),
            "langs": ["en"],
        }
        if reply_to:
            record["reply"] = {
                "root": reply_to["record"].get("reply", {}).get("root")
                or {"uri": reply_to["uri"], "cid": reply_to["cid"]},
                "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]},
            }
        if facets_:
            record["facets"] = facets_
        return {
            "uri": f"at://{did}/app.bsky.feed.post/3k{self.n:011d}",
            "cid": f"bafyreicid{self.n}",
            "author": {
                "did": did,
                "handle": f"user{self.n % 5}.bsky.social",
                "displayName": f"User {self.n % 5}",
                "labels": [],
                "viewer": {"muted": False},
            },
            "reason": reason,
            "record": record,
            "isRead": False,
            "indexedAt": iso(at),
            "labels": [],
        }

    def notify(self, text: str = "", **kwargs: Any) -> dict[str, Any]:
        item = self.view(text or f"@acme.bsky.social my parcel {self.n + 1} is lost", **kwargs)
        self.notifications.append(item)
        return item

    def paged(self, request: Request, items: list[dict[str, Any]], key: str) -> Reply:
        denied = self.authorized(request)
        if denied:
            return denied
        # Newest first, as the appview sorts (by indexedAt; later arrivals first among equals).
        newest_first = sorted(reversed(items), key=lambda i: i["indexedAt"], reverse=True)
        start = int(request.arg("cursor", "0") or 0)
        limit = int(request.arg("limit", "50") or 50)
        chunk = newest_first[start : start + min(limit, self.page)]
        body: dict[str, Any] = {key: chunk}
        if start + len(chunk) < len(newest_first):
            body["cursor"] = str(start + len(chunk))
        return Reply(200, body)

    def index(self) -> None:
        """The AppView catches up with the repo."""
        self.unindexed.clear()

    def list_notifications(self, request: Request) -> Reply:
        """As @atproto/bsky 0.0.280 pages them (api/app/bsky/notification/listNotifications.ts, its
        data plane's notifs.ts and api/util.ts's fillPage).

        The data plane's cursor is the last item's `sortAt` alone and the next page is `sortAt <
        cursor`, so the rest of that millisecond is skipped; ties come in a fixed order. No cursor
        reads from now. `reasons` filters a page after it is cut; a page left under half full is
        refilled (at most 10 requests) from the data plane's cursor, and the last one is answered.
        """
        denied = self.authorized(request)
        if denied:
            return denied
        newest_first = sorted(
            reversed(self.notifications), key=lambda i: parse_time(i["indexedAt"]), reverse=True
        )
        reasons = request.query.get("reasons")

        def plane(cursor: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
            before = parse_time(cursor)
            rows = [i for i in newest_first if parse_time(i["indexedAt"]) < before][: limit + 1]
            chunk = rows[:limit]
            following = iso(parse_time(chunk[-1]["indexedAt"])) if len(rows) > limit and chunk else None
            return [i for i in chunk if not reasons or i["reason"] in reasons], following

        limit = min(int(request.arg("limit", "50") or 50), self.page)
        items, cursor = plane(request.arg("cursor") or iso(time.time()), limit)
        for _ in range(1, 10):
            if not cursor or len(items) >= math.ceil(limit / 2):
                break
            more, following = plane(cursor, limit - len(items))
            items += more
            cursor = None if following == cursor else following
        return Reply(200, {"notifications": items, **({"cursor": cursor} if cursor else {})})

    def get_posts(self, request: Request) -> Any:
        uris = request.query.get("uris", [])
        views = [v for v in self.notifications if v["uri"] in uris]
        for uri in uris:
            if uri in self.records and uri not in self.unindexed:
                views.append(
                    {
                        "uri": uri,
                        "cid": self.cids[uri],
                        "author": {"did": ME, "handle": "acme.bsky.social"},
                        "record": self.records[uri],
                        "indexedAt": self.records[uri]["createdAt"],
                    }
                )
        return {"posts": [{k: v[k] for k in ("uri", "cid", "author", "record", "indexedAt")} for v in views]}

    def copies(self, text: str) -> int:
        """How many records with this text exist in the repo."""
        return sum(r["text"] == text for r in self.records.values())

    def create_record(self, request: Request) -> Reply:
        limited = Reply(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={"RateLimit-Reset": str(int(time.time()) + 60), "RateLimit-Remaining": "0"},
        )
        return scripted(self.script, lambda: self._create_record(request), limited)

    def _create_record(self, request: Request) -> Reply:
        denied = self.authorized(request)
        if denied:
            return denied
        body = request.json()
        uri = f"at://{body['repo']}/{body['collection']}/{body['rkey']}"
        if uri in self.records:  # as @atproto/pds answers a taken record key (test_bluesky_devnet.py)
            return Reply(500, {"error": "InternalServerError", "message": "Internal Server Error"})
        self.records[uri] = body["record"]
        # A cid is the hash of the record's content: every record has its own.
        self.cids[uri] = (
            "bafyrei" + hashlib.sha256(json.dumps(body["record"], sort_keys=True).encode()).hexdigest()[:40]
        )
        self.unindexed.append(uri)
        return Reply(
            200, {"uri": uri, "cid": self.cids[uri], "commit": {"cid": "bafyreicommit", "rev": "3l"}}
        )

    def get_record(self, request: Request) -> Reply:
        uri = f"at://{request.arg('repo')}/{request.arg('collection')}/{request.arg('rkey')}"
        if uri not in self.records:
            return Reply(400, {"error": "RecordNotFound", "message": "Could not locate record"})
        return Reply(200, {"uri": uri, "cid": self.cids[uri], "value": self.records[uri]})


def make(server: Loopback, secret: str | None = SECRET, **options: Any) -> BlueskyConnector:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(2.0))
    return BlueskyConnector("bsky", {"handle": "acme.bsky.social", **options}, secret, client)


class TestBlueskyContract(ConnectorContract):
    connector_class = BlueskyConnector

    def serve(self, server: Loopback) -> None:
        self.fake = FakeBluesky(server, page=2)
        for _ in range(3):
            self.fake.notify()

    def make_connector(self, server: Loopback) -> BlueskyConnector:
        return make(server, self.secret)

    def add_post(self, server: Loopback) -> str:
        return str(self.fake.notify()["uri"])

    def add_malformed(self, server: Loopback) -> None:
        self.fake.notify()
        del self.fake.notify()["record"]["createdAt"]

    def rate_limit_headers(self, reset_at: float) -> dict[str, str]:
        return {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(reset_at)),
            "RateLimit-Policy": "3000;w=300",
            "Retry-After": str(int(reset_at - time.time())),
        }


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeBluesky:
    return FakeBluesky(loopback_server)


def test_tid_is_13_sortable_chars() -> None:
    assert tid(0, 0) == "2222222222222"
    key = rkey_for("reply-1", 1_700_000_000.0)
    assert len(key) == 13 and key[0] in "234567abcdefghij"
    assert key == rkey_for("reply-1", 1_700_000_000.0) != rkey_for("reply-2", 1_700_000_000.0)
    assert rkey_for("a", 1_700_000_000.0) < rkey_for("a", 1_800_000_000.0)


def test_facets_use_utf8_byte_offsets() -> None:
    text = "héllo @bob.bsky.social see https://example.com/x 🎉 @nobody.example"
    found = facets(text, lambda h: "did:plc:bob" if h == "bob.bsky.social" else None)
    data = text.encode("utf-8")
    spans = [
        (data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0]) for f in found
    ]
    assert spans == [
        ("@bob.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}),
        ("https://example.com/x", {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/x"}),
    ]


def test_notification_fields(fake: FakeBluesky, loopback_server: Loopback) -> None:
    root = fake.notify("where is my order?")
    text = "look: paypal.com/x"
    start = len(b"look: ")
    child = fake.notify(
        text,
        reason="reply",
        reply_to=root,
        facets_=[
            {
                "index": {"byteStart": start, "byteEnd": start + len("paypal.com/x")},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://evil.example/x"}],
            }
        ],
    )
    fake.notify("liked your post", reason="like")
    posts = {p.native_id: p for p in make(loopback_server).fetch(None).posts}
    assert set(posts) == {root["uri"], child["uri"]}
    reply = posts[child["uri"]]
    assert reply.text == "look: paypal.com/x (evil.example)"
    assert reply.in_reply_to == root["uri"] and reply.conversation_id == root["uri"]
    assert reply.kind == "reply" and reply.author.handle.startswith("user")
    assert reply.url.startswith("https://bsky.app/profile/") and reply.raw["cid"] == child["cid"]


def test_resume_walks_pages_back_to_the_mark(fake: FakeBluesky, loopback_server: Loopback) -> None:
    fake.page = 2
    fake.notify()
    connector = make(loopback_server)
    first = connector.fetch(None)
    new = [fake.notify()["uri"] for _ in range(5)]
    got = []
    cursor, more = first.cursor, True
    while more:
        page = connector.fetch(cursor)
        got += [p.native_id for p in page.posts]
        cursor, more = page.cursor, page.more
    assert sorted(got) == sorted(new)
    # Each page asks again from its last millisecond (the appview's cursor skips the rest of it).
    assert len(loopback_server.calls("GET", "/xrpc/app.bsky.notification.listNotifications")) == 1 + 5


def test_expired_session_is_refreshed_not_recreated(fake: FakeBluesky, loopback_server: Loopback) -> None:
    fake.notify()
    connector = make(loopback_server)
    connector.fetch(None)
    fake.expire_next = True
    assert connector.fetch(None).posts
    assert fake.sessions == 1
    assert len(loopback_server.calls("POST", "/xrpc/com.atproto.server.refreshSession")) == 1


def test_stored_session_avoids_create_session(fake: FakeBluesky, loopback_server: Loopback) -> None:
    class Memory:
        value: dict | None = None

        def load(self) -> dict | None:
            return self.value

        def save(self, session: dict | None) -> None:
            self.value = session

    store = Memory()
    fake.notify()
    for _ in range(3):
        connector = make(loopback_server)
        connector.session_store = store
        connector.fetch(None)
    assert fake.sessions == 1


def test_reply_refs_and_retry_never_duplicates(fake: FakeBluesky, loopback_server: Loopback) -> None:
    root = fake.notify("help")
    child = fake.notify("still waiting", reply_to=root)
    connector = make(loopback_server)
    reply = OutgoingReply(
        "key-7",
        "Sorry @bob.bsky.social! https://acme.com/help",
        child["uri"],
        extra={"created_at": 1_700_000_100.0},
    )
    first = connector.send(reply)
    record = fake.records[first.native_id]
    assert record["reply"] == {
        "root": {"uri": root["uri"], "cid": root["cid"]},
        "parent": {"uri": child["uri"], "cid": child["cid"]},
    }
    assert [f["features"][0]["$type"].rsplit("#")[-1] for f in record["facets"]] == ["mention", "link"]
    assert first.native_id.endswith("/" + rkey_for("key-7", 1_700_000_100.0))
    again = connector.send(reply)  # e.g. the outbox retrying after a lost answer
    assert again.native_id == first.native_id and len(fake.records) == 1
    assert connector.find_sent(reply) == first
    assert connector.find_sent(OutgoingReply("other", "x", child["uri"])) is None


def test_dropped_connection_on_send_is_retried_safely(fake: FakeBluesky, loopback_server: Loopback) -> None:
    root = fake.notify("help")
    connector = make(loopback_server)
    connector.fetch(None)
    ref = {"uri": root["uri"], "cid": root["cid"]}
    reply = OutgoingReply("key-8", "hi", root["uri"], extra={"parent": ref, "root": ref})
    loopback_server.fail_next(Reply(drop=True), 3)
    with pytest.raises(SendUncertain):
        connector.send(reply)
    assert len(loopback_server.calls("POST", "/xrpc/com.atproto.repo.createRecord")) == 3
    assert connector.find_sent(reply) is None
    loopback_server.fail_next(Reply(drop=True), 1)
    sent = connector.send(reply)
    assert connector.find_sent(reply) == sent and len(fake.records) == 1


def test_search_terms_are_monitored(fake: FakeBluesky, loopback_server: Loopback) -> None:
    hit = fake.view("acme broke my phone")
    fake.search.append(hit)
    posts = make(loopback_server, search_terms=["acme"]).fetch(None).posts
    assert [(p.native_id, p.kind) for p in posts] == [(hit["uri"], "search")]
    assert loopback_server.calls("GET", "/xrpc/app.bsky.feed.searchPosts")[0].arg("sort") == "latest"


def test_a_later_part_answers_the_earlier_one_with_the_refs_create_record_returned(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    root = fake.notify("help")
    child = fake.notify("still waiting", reply_to=root)
    connector = make(loopback_server)
    first = connector.send(OutgoingReply("part-1", "1/2 Sorry, checking", child["uri"]))
    assert first.refs == {"cid": fake.cids[first.native_id], "root": {"uri": root["uri"], "cid": root["cid"]}}
    previous = {"native_id": first.native_id, "url": first.url, "refs": first.refs}
    second = connector.send(
        OutgoingReply("part-2", "2/2 Found it", first.native_id, extra={"previous": previous})
    )
    assert fake.unindexed == [first.native_id, second.native_id]  # the AppView has seen neither yet
    assert fake.records[second.native_id]["reply"] == {
        "root": {"uri": root["uri"], "cid": root["cid"]},
        "parent": {"uri": first.native_id, "cid": fake.cids[first.native_id]},
    }
    looked_up = [c.query.get("uris") for c in loopback_server.calls("GET", "/xrpc/app.bsky.feed.getPosts")]
    assert looked_up == [[child["uri"]]]  # only the customer's post was read on the AppView
    assert connector.find_sent(OutgoingReply("part-2", "2/2 Found it", first.native_id)) == second


def test_a_deleted_post_is_refused_before_sending_and_a_dm_is_not(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    connector = make(loopback_server)
    alive = fake.notify("help")
    # Direct messages are answered through the chat service (bluesky_send): `socialdesk reply --dm`
    # must not be refused before its review, to a post or to a message.
    assert (
        connector.refusal(OutgoingReply("", "hi", None, to_handle="bob", to_native_id="did:plc:b", dm=True))
        is None
    )
    assert connector.refusal(OutgoingReply("", "hi", "chat:convo-1:msg-1", dm=True)) is None
    assert connector.refusal(OutgoingReply("", "hi", alive["uri"])) is None
    gone = "at://did:plc:user1/app.bsky.feed.post/3kdeleted0001"
    assert "no longer exists" in str(connector.refusal(OutgoingReply("", "hi", gone)))
    assert loopback_server.calls("POST", "/xrpc/com.atproto.repo.createRecord") == []


def test_replies_written_at_one_time_get_their_own_record_keys() -> None:
    # The parts of a split reply share created_at; these two keys share a TID clock id.
    first, second = "0000000000000000000000000000000f", "0000000000000000000000000000002b"
    assert legacy_rkey_for(first, 1_700_000_000.0) == legacy_rkey_for(second, 1_700_000_000.0)
    assert rkey_for(first, 1_700_000_000.0) != rkey_for(second, 1_700_000_000.0)
    assert rkey_for(first, 1_700_000_000.0)[:6] == tid(1_700_000_000_000_000, 0)[:6]  # still that time


def test_a_reply_sent_under_the_old_record_key_is_found_not_sent_again(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    connector = make(loopback_server)
    post = fake.notify("help")
    created = time.time() - 60
    reply = OutgoingReply("sent-before-upgrade", "On its way!", post["uri"], extra={"created_at": created})
    old_key = legacy_rkey_for(reply.idempotency_key, created)
    uri = f"at://{ME}/app.bsky.feed.post/{old_key}"
    fake.records[uri] = {"$type": "app.bsky.feed.post", "text": "On its way!", "createdAt": iso(created)}
    fake.cids[uri] = "bafyreiold"
    found = connector.find_sent(reply)
    assert found is not None and found.native_id == uri
    other = OutgoingReply("another-reply", "Something else", post["uri"], extra={"created_at": created})
    taken = f"at://{ME}/app.bsky.feed.post/{legacy_rkey_for(other.idempotency_key, created)}"
    fake.records[taken] = {"$type": "app.bsky.feed.post", "text": "2/2 not this", "createdAt": iso(created)}
    fake.cids[taken] = "bafyreitaken"
    assert connector.find_sent(other) is None  # a record under its key with another text is not it
