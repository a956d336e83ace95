"""Bluesky connector against the AT Protocol's own dev network (PLC, PDS, appview) from .ci/atproto-devnet."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from socialdesk.connectors.base import AuthError, FetchResult, OutgoingReply, PostGone
from socialdesk.connectors.bluesky import POST_TYPE, BlueskyConnector
from socialdesk.connectors.http import HttpError
from socialdesk.models import Post

pytestmark = pytest.mark.atproto_devnet

STATE = Path(
    os.environ.get("SOCIALDESK_ATPROTO_DEVNET_STATE")
    or Path(__file__).resolve().parents[2] / ".devnet" / "state.json"
)
HOW = "run .ci/atproto-devnet to start the AT Protocol dev network (Node 22, PostgreSQL, Redis)"
WAIT = 60.0  # seconds: the appview indexes what the PDS writes asynchronously
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """Poll until `probe` returns something truthy, failing after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not (value := probe()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {WAIT:.0f}s")
        time.sleep(0.5)
    return value


class Pds:
    """Plain XRPC as one account: what the connector does not do (posting as the customer, raw records)."""

    def __init__(self, url: str, handle: str, password: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=20)
        self.token = ""
        session = self.call(
            "POST", "com.atproto.server.createSession", {"identifier": handle, "password": password}
        )
        self.did, self.handle, self.token = session["did"], session["handle"], session["accessJwt"]

    def call(self, method: str, nsid: str, body: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        answer = self.http.request(method, f"/xrpc/{nsid}", params=params, json=body, headers=headers)
        assert answer.is_success, f"{nsid}: {answer.status_code} {answer.text}"
        return answer.json()

    def post(
        self,
        text: str,
        reply: dict[str, Any] | None = None,
        mention: tuple[str, str] | None = None,
        created_at: str | None = None,
    ) -> dict[str, str]:
        """Create a post (a reply to `reply`'s refs, mentioning a (handle, did)); return its {uri, cid}."""
        record: dict[str, Any] = {"$type": POST_TYPE, "text": text, "createdAt": created_at or iso_now()}
        if reply:
            record["reply"] = reply
        if mention:  # notifications come from the facet, not from the text
            handle, did = mention
            start = text.encode().index(f"@{handle}".encode())
            record["facets"] = [
                {
                    "index": {"byteStart": start, "byteEnd": start + len(handle) + 1},
                    "features": [{"$type": MENTION, "did": did}],
                }
            ]
        created = self.call(
            "POST",
            "com.atproto.repo.createRecord",
            {"repo": self.did, "collection": POST_TYPE, "record": record},
        )
        return {"uri": created["uri"], "cid": created["cid"]}

    def record(self, uri: str) -> dict[str, Any]:
        did, collection, rkey = uri.removeprefix("at://").split("/")
        return self.call("GET", "com.atproto.repo.getRecord", repo=did, collection=collection, rkey=rkey)[
            "value"
        ]


def indexed(pds: Pds, uris: list[str], what: str) -> None:
    """Wait until the appview has indexed these posts: getPosts knows every one of them.

    Their notifications are then listed too: the appview writes a post's notifications in the
    transaction that indexes it (@atproto/bsky data-plane indexing: indexRecord, handleNotifs).
    """

    def known() -> bool:
        batches = [uris[start : start + 25] for start in range(0, len(uris), 25)]  # getPosts' maximum
        return sum(len(pds.call("GET", "app.bsky.feed.getPosts", uris=b)["posts"]) for b in batches) == len(
            uris
        )

    eventually(known, what)


def drain(connector: BlueskyConnector, cursor: str | None) -> FetchResult:
    """Fetch until the connector has no more pages, as a sync does: every post and the last cursor."""
    result = connector.fetch(cursor)
    posts = list(result.posts)
    while result.more:
        result = connector.fetch(result.cursor)
        posts += result.posts
    return FetchResult(posts=posts, cursor=result.cursor)


def iso_now() -> str:
    """Now to the millisecond, as Bluesky's own app writes createdAt.

    Whole seconds made this file's posts share one time whenever a fast machine wrote more than 100 of
    them within a second, and the appview cannot page inside a time (the connector then says so): a
    crowd only the burst test below means to make.
    """
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


@pytest.fixture(scope="module")
def devnet() -> dict[str, Any]:
    """The running dev network's details; skips, saying why, when there is none."""
    try:
        state = json.loads(STATE.read_text())
    except FileNotFoundError:
        pytest.skip(HOW)
    except ValueError:
        pytest.skip(f"{STATE} is not JSON; {HOW}")
    if "error" in state:
        pytest.skip(f"AT Protocol dev network unavailable: {state['error']}")
    try:
        httpx.get(f"{state['url']}/xrpc/_health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.skip(f"the dev network in {STATE} does not answer ({exc}); {HOW}")
    return state


def _logged_in(devnet: dict[str, Any], who: str) -> Iterator[Pds]:
    account = devnet["accounts"][who]
    pds = Pds(devnet["url"], account["handle"], account["password"])
    yield pds
    pds.http.close()


@pytest.fixture(scope="module")
def brand(devnet: dict[str, Any]) -> Iterator[Pds]:
    yield from _logged_in(devnet, "brand")


@pytest.fixture(scope="module")
def customer(devnet: dict[str, Any]) -> Iterator[Pds]:
    yield from _logged_in(devnet, "customer")


@pytest.fixture(scope="module")
def app_password(brand: Pds) -> str:
    """What an agent pastes: an app password, not the account password (names must be unique)."""
    created = brand.call(
        "POST", "com.atproto.server.createAppPassword", {"name": f"socialdesk-{uuid.uuid4().hex[:8]}"}
    )
    return str(created["password"])


@pytest.fixture(scope="module")
def conversation(brand: Pds, customer: Pds) -> dict[str, Any]:
    """The brand's post, the customer's reply to it and a mention of the brand, indexed by the appview."""
    tag = uuid.uuid4().hex[:10]  # the dev network outlives a test run: tell this run's posts apart
    own = brand.post(f"Acme support is open {tag}")
    # A reply indexed before its parent notifies nobody (the appview handles that order for other
    # ancestors only), and a customer answers a post they have seen: wait for the brand's post.
    eventually(
        lambda: brand.call("GET", "app.bsky.feed.getPosts", uris=[own["uri"]])["posts"], "the brand's post"
    )
    ref = {"uri": own["uri"], "cid": own["cid"]}
    reply = customer.post(f"still waiting for my refund {tag} 😤", reply={"root": ref, "parent": ref})
    mention = customer.post(f"@{brand.handle} where is my parcel? {tag}", mention=(brand.handle, brand.did))
    eventually(
        lambda: (
            len(customer.call("GET", "app.bsky.feed.getPosts", uris=[reply["uri"], mention["uri"]])["posts"])
            == 2
        ),
        "the appview indexing the customer's posts",
    )
    return {"tag": tag, "own": own, "reply": reply, "mention": mention}


@pytest.fixture
def connect(
    devnet: dict[str, Any], brand: Pds, app_password: str
) -> Iterator[Callable[..., BlueskyConnector]]:
    """Makes connectors for the brand's account on the dev network's PDS (closed after the test)."""
    made: list[BlueskyConnector] = []

    def make(secret: str | None = app_password, **options: Any) -> BlueskyConnector:
        settings = {"handle": brand.handle, "service": devnet["url"], **options}
        made.append(BlueskyConnector("devnet", settings, secret))
        return made[-1]

    yield make
    for connector in made:
        connector.close()


def test_verify_logs_in_with_an_app_password(connect: Callable[..., BlueskyConnector], brand: Pds) -> None:
    assert connect().verify() == f"@{brand.handle} ({brand.did})"


def test_a_wrong_password_is_an_auth_error_that_never_shows_it(
    connect: Callable[..., BlueskyConnector],
) -> None:
    wrong = "abcd-efgh-ijkl-mnop"
    with pytest.raises(AuthError) as caught:
        connect(wrong).verify()
    assert wrong not in str(caught.value)


def test_mentions_and_replies_arrive_once(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any], customer: Pds
) -> None:
    connector = connect()
    wanted = {conversation["reply"]["uri"], conversation["mention"]["uri"]}
    first = drain(connector, None)  # the fixture waited for the appview to index them
    assert wanted <= {p.native_id for p in first.posts}

    def ours(posts: list[Post]) -> list[Post]:
        return [p for p in posts if conversation["tag"] in p.text]

    posts = {p.native_id: p for p in first.posts}
    reply, mention = posts[conversation["reply"]["uri"]], posts[conversation["mention"]["uri"]]
    assert (reply.kind, mention.kind) == ("reply", "mention")
    assert reply.in_reply_to == reply.conversation_id == conversation["own"]["uri"]
    assert mention.in_reply_to is None and mention.conversation_id == mention.native_id
    assert reply.author.handle == mention.author.handle == customer.handle  # bare: the desk adds "@"
    assert reply.author.native_id == customer.did and not reply.is_ours
    assert reply.text == f"still waiting for my refund {conversation['tag']} 😤"
    assert len(first.posts) == len(posts)  # no notification twice in one page

    # Nothing new: nothing again (other runs may share the dev network: only this run's posts count).
    second = drain(connector, first.cursor)
    assert ours(second.posts) == []

    later = customer.post(
        f"@{connector.handle} hello? {conversation['tag']}", mention=(connector.handle, connector.did)
    )
    indexed(customer, [later["uri"]], "the later mention")
    third = drain(connector, second.cursor)
    assert [p.native_id for p in ours(third.posts)] == [later["uri"]]
    assert ours(drain(connector, third.cursor).posts) == []


def test_search_terms_find_posts(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any]
) -> None:
    connector = connect(search_terms=[conversation["tag"]])
    found = eventually(
        lambda: {p.native_id: p.kind for p in connector.fetch(None).posts if p.kind == "search"},
        "searchPosts results",
    )
    assert conversation["mention"]["uri"] in found


def test_fetch_thread_has_ancestors_and_replies(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any]
) -> None:
    connector = connect()
    own, reply = conversation["own"]["uri"], conversation["reply"]["uri"]
    assert [p.native_id for p in connector.fetch_thread(reply)][:2] == [own, reply]  # then any answers
    thread = connector.fetch_thread(own)
    assert [p.native_id for p in thread][:1] == [own] and reply in {p.native_id for p in thread}
    assert thread[0].is_ours and thread[0].kind == "own"


def test_sent_reply_has_reply_refs_and_byte_offset_facets(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any], brand: Pds, customer: Pds
) -> None:
    connector = connect()
    link = f"https://example.com/help?case={conversation['tag']}"
    text = f"Sorry @{customer.handle} 📦🙏 — café hours & details: {link} ✨"
    outgoing = OutgoingReply(
        f"devnet-{conversation['tag']}", text, conversation["reply"]["uri"], extra={"created_at": time.time()}
    )
    sent = connector.send(outgoing)

    record = brand.record(sent.native_id)
    own, parent = conversation["own"], conversation["reply"]
    assert record["reply"] == {
        "root": {"uri": own["uri"], "cid": own["cid"]},
        "parent": {"uri": parent["uri"], "cid": parent["cid"]},
    }
    data = record["text"].encode("utf-8")
    spans = [
        (data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"])
        for f in record["facets"]
    ]
    assert spans == [
        (f"@{customer.handle}", [{"$type": MENTION, "did": customer.did}]),
        (link, [{"$type": LINK, "uri": link}]),
    ]

    # The appview accepted it as a reply in the customer's thread.
    thread = eventually(
        lambda: [p for p in connector.fetch_thread(parent["uri"]) if p.native_id == sent.native_id],
        "the sent reply in getPostThread",
    )
    assert thread[0].text == text and thread[0].in_reply_to == parent["uri"] and thread[0].is_ours

    # A retry (the outbox after a lost answer) finds the first post and creates no second one.
    assert connector.send(outgoing) == sent == connector.find_sent(outgoing)
    records = brand.call(
        "GET", "com.atproto.repo.listRecords", repo=brand.did, collection=POST_TYPE, limit=100
    )
    assert [r["uri"] for r in records["records"] if r["value"]["text"] == text] == [sent.native_id]


def test_the_stored_session_is_reused_then_refreshed(connect: Callable[..., BlueskyConnector]) -> None:
    class Memory:
        value: dict[str, Any] | None = None

        def load(self) -> dict[str, Any] | None:
            return self.value

        def save(self, session: dict[str, Any] | None) -> None:
            self.value = session

    store = Memory()
    first = connect()
    first.session_store = store
    described = first.verify()
    assert store.value and store.value["accessJwt"]

    # No password: only the stored session can log it in.
    reused = connect(None)
    reused.session_store = store
    assert reused.verify() == described and reused.fetch(None).cursor

    # An access token the PDS refuses: the refresh token gets a new one, still without the password.
    stale = {**store.value, "accessJwt": "not-a-valid-token"}
    store.value = stale
    refreshed = connect(None)
    refreshed.session_store = store
    assert refreshed.fetch(None).cursor
    assert store.value["accessJwt"] not in ("not-a-valid-token", stale["refreshJwt"])
    assert store.value["refreshJwt"] != stale["refreshJwt"]  # the PDS rotates refresh tokens


def test_a_split_reply_chains_its_parts_without_waiting_for_the_appview(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any], brand: Pds, tmp_path: Path
) -> None:
    """The outbox sends three parts back to back: each answers the one before with createRecord's refs."""
    from socialdesk.models import Author, Post
    from socialdesk.services.outbox import Outbox
    from socialdesk.store import Store

    connector = connect()
    parent, own = conversation["reply"], conversation["own"]
    store = Store(tmp_path / "devnet.db")
    store.upsert_posts(
        [
            Post(
                network="bluesky",
                native_id=parent["uri"],
                author=Author(native_id="did:plc:customer", handle="@customer"),
                text="still waiting for my refund",
                created_at=time.time(),
                account="devnet",
                in_reply_to=own["uri"],
                conversation_id=own["uri"],
                kind="reply",
            )
        ]
    )
    post_id = int(store.conn.execute("SELECT id FROM posts").fetchone()[0])
    outbox = Outbox(store, lambda network, account: connector, undo_seconds=0)
    tag = conversation["tag"]
    parts = [f"1/3 Sorry {tag}", f"2/3 It left on Monday {tag}", f"3/3 Refund on its way {tag}"]
    ids = outbox.enqueue(post_id, parts, "ana", undo_seconds=0)
    outbox.delivery.process_due()  # one pass: part 2 goes out right after part 1, long before any indexing
    rows = [outbox.get(i) for i in ids]
    assert [(r.state, r.error) for r in rows if r is not None] == [("sent", "")] * 3
    uris = [str(r.remote_id) for r in rows if r is not None]
    records = [brand.call("GET", "com.atproto.repo.getRecord", **_rkey(uri)) for uri in uris]
    root = {"uri": own["uri"], "cid": own["cid"]}
    parents = [{"uri": parent["uri"], "cid": parent["cid"]}] + [
        {"uri": r["uri"], "cid": r["cid"]} for r in records[:2]
    ]
    assert [r["value"]["reply"] for r in records] == [{"root": root, "parent": p} for p in parents]

    # And the AppView, once it has indexed them, shows the thread as one chain.
    def indexed() -> list[str] | None:
        try:
            ids = [p.native_id for p in connector.fetch_thread(uris[0])]
        except (HttpError, PostGone):  # "Post not found" until the AppView has indexed part 1
            return None
        return ids if uris[2] in ids else None

    thread = eventually(indexed, "the split reply in getPostThread")
    assert [u for u in thread if u in uris] == uris  # after the ancestors, part 1, 2, 3 in order


def _rkey(uri: str) -> dict[str, str]:
    did, collection, rkey = uri.removeprefix("at://").split("/")
    return {"repo": did, "collection": collection, "rkey": rkey}


def test_a_first_sync_stores_every_waiting_mention(
    connect: Callable[..., BlueskyConnector], brand: Pds, customer: Pds, tmp_path: Path
) -> None:
    from socialdesk.services.sync import Source, sync_source
    from socialdesk.store import Store

    waiting, tag = 120, uuid.uuid4().hex[:10]
    uris = sorted(
        customer.post(f"@{brand.handle} order {i} never came {tag}", mention=(brand.handle, brand.did))["uri"]
        for i in range(waiting)
    )

    indexed(customer, uris, f"the appview indexing {waiting} mentions")
    store = Store(tmp_path / "cache.db")
    report = sync_source(store, Source("devnet", connect(page_size=50)))
    assert report.state == "ok", report.message
    rows = store.conn.execute("SELECT native_id FROM posts WHERE text LIKE ?", (f"%{tag}%",))
    assert sorted(r[0] for r in rows) == uris


def test_mentions_written_in_one_second_by_a_fast_client_all_arrive(
    connect: Callable[..., BlueskyConnector], brand: Pds, customer: Pds, tmp_path: Path
) -> None:
    """More posts share one createdAt than a page holds (a client writing whole seconds, posting fast):
    the appview's cursor cannot page inside them."""
    from socialdesk.services.sync import Source, sync_source
    from socialdesk.store import Store

    waiting, tag, second = 70, uuid.uuid4().hex[:10], iso_now()[:19] + ".000Z"
    uris = sorted(
        customer.post(
            f"@{brand.handle} burst {i} {tag}", mention=(brand.handle, brand.did), created_at=second
        )["uri"]
        for i in range(waiting)
    )
    indexed(customer, uris, f"the appview indexing {waiting} mentions")
    store = Store(tmp_path / "cache.db")
    report = sync_source(store, Source("devnet", connect(page_size=50)))
    assert report.state == "ok", report.message
    rows = store.conn.execute("SELECT native_id FROM posts WHERE text LIKE ?", (f"%{tag}%",))
    stored = sorted(r[0] for r in rows)
    assert stored == uris, (len(stored), len(report.new_ids), report.quarantined, second)


def test_a_labelled_post_in_two_languages_and_the_reply_to_it(
    connect: Callable[..., BlueskyConnector], brand: Pds, customer: Pds
) -> None:
    tag = uuid.uuid4().hex[:10]
    text = f"@{brand.handle} Paket kaputt, parcel broken {tag}"
    start = text.encode().index(f"@{brand.handle}".encode())
    record = {
        "$type": POST_TYPE,
        "text": text,
        "createdAt": iso_now(),
        "langs": ["de", "en"],
        "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "graphic-media"}]},
        "facets": [
            {
                "index": {"byteStart": start, "byteEnd": start + len(brand.handle) + 1},
                "features": [{"$type": MENTION, "did": brand.did}],
            }
        ],
    }
    uri = customer.call(
        "POST",
        "com.atproto.repo.createRecord",
        {"repo": customer.did, "collection": POST_TYPE, "record": record},
    )["uri"]
    connector = connect()
    post = eventually(
        lambda: next((p for p in drain(connector, None).posts if p.native_id == uri), None),
        "the labelled mention",
    )
    assert post.content_warning == "Graphic Media" and post.lang == "de"
    sent = connector.send(
        OutgoingReply(
            f"labels-{tag}",
            "Das tut uns leid!",
            uri,
            extra={"parent_raw": post.raw, "created_at": time.time()},
        )
    )
    assert brand.record(sent.native_id)["langs"] == ["de", "en"]


def test_a_post_deleted_after_it_arrived_is_reported_gone(
    connect: Callable[..., BlueskyConnector], brand: Pds, customer: Pds
) -> None:
    tag = uuid.uuid4().hex[:10]
    root = customer.post(f"@{brand.handle} my parcel is lost {tag}", mention=(brand.handle, brand.did))
    ref = {"uri": root["uri"], "cid": root["cid"]}
    eventually(
        lambda: customer.call("GET", "app.bsky.feed.getPosts", uris=[root["uri"]])["posts"], "the post"
    )
    follow_up = customer.post(f"@{brand.handle} hello?? {tag}", reply={"root": ref, "parent": ref})
    eventually(
        lambda: customer.call("GET", "app.bsky.feed.getPosts", uris=[follow_up["uri"]])["posts"],
        "the follow-up",
    )
    connector = connect()
    assert [p.native_id for p in connector.refresh_thread(follow_up["uri"]).posts] == [
        root["uri"],
        follow_up["uri"],
    ]

    def delete(uri: str) -> None:
        rkey = uri.rsplit("/", 1)[-1]
        customer.call(
            "POST",
            "com.atproto.repo.deleteRecord",
            {"repo": customer.did, "collection": POST_TYPE, "rkey": rkey},
        )

    delete(root["uri"])  # the ancestor first: the thread says so
    eventually(
        lambda: connector.refresh_thread(follow_up["uri"]).deleted == [root["uri"]], "the deleted ancestor"
    )
    assert connector.refresh_thread(root["uri"]).deleted == [root["uri"]]
    delete(follow_up["uri"])
    gone = eventually(
        lambda: (r := connector.refresh_thread(follow_up["uri"])).deleted == [follow_up["uri"]] and r,
        "the appview forgetting the post",
    )
    assert gone.posts == []


def test_verify_after_the_app_password_was_revoked_is_an_auth_error(
    connect: Callable[..., BlueskyConnector], brand: Pds
) -> None:
    class Memory:
        value: dict[str, Any] | None = None

        def load(self) -> dict[str, Any] | None:
            return self.value

        def save(self, session: dict[str, Any] | None) -> None:
            self.value = session

    name = f"socialdesk-revoked-{uuid.uuid4().hex[:8]}"
    password = brand.call("POST", "com.atproto.server.createAppPassword", {"name": name})["password"]
    store = Memory()
    first = connect(password)
    first.session_store = store
    first.verify()
    revoked = brand.http.post(
        "/xrpc/com.atproto.server.revokeAppPassword",
        json={"name": name},
        headers={"Authorization": f"Bearer {brand.token}"},
    )
    assert revoked.is_success, revoked.text  # an empty answer
    again = connect(password)
    again.session_store = store  # its access token is still accepted; only a round trip tells
    with pytest.raises(AuthError):
        again.verify()


def test_without_a_chat_service_mentions_still_arrive(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any]
) -> None:
    """The dev network runs no chat service: the PDS fails chat calls; DMs are skipped, not the sync."""
    connector = connect()
    first = connector.fetch(None)
    assert [q.error for q in first.quarantined if "bluesky dm" in q.error]  # doctor says why
    assert "retry_at" in json.loads(first.cursor or "{}").get("d", {})
    mentions = eventually(
        lambda: {p.native_id for p in drain(connector, None).posts} & {conversation["mention"]["uri"]},
        "the mention",
    )
    assert mentions


def test_a_quote_of_our_post_shows_the_quoted_post(
    connect: Callable[..., BlueskyConnector], conversation: dict[str, Any], customer: Pds
) -> None:
    own = conversation["own"]
    record = {
        "$type": POST_TYPE,
        "text": f"this is not what you told me {conversation['tag']}",
        "createdAt": iso_now(),
        "embed": {"$type": "app.bsky.embed.record", "record": {"uri": own["uri"], "cid": own["cid"]}},
    }
    uri = customer.call(
        "POST",
        "com.atproto.repo.createRecord",
        {"repo": customer.did, "collection": POST_TYPE, "record": record},
    )["uri"]
    connector = connect()
    post = eventually(
        lambda: next((p for p in drain(connector, None).posts if p.native_id == uri), None), "the quote"
    )
    assert (
        post.text
        == f"{record['text']}\n[quoting @{connector.handle}: Acme support is open {conversation['tag']}]"
    )
