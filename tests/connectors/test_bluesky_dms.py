"""Bluesky direct messages: read through the PDS's chat proxy, answered in their conversation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from socialdesk.connectors.atproto_tid import tid
from socialdesk.connectors.base import OutgoingReply
from socialdesk.testing import Loopback, Reply, Request
from tests.connectors.test_bluesky import ME, FakeBluesky, iso, make

PROXY = "did:web:api.bsky.chat#bsky_chat"
CHAT = "/xrpc/chat.bsky.convo."


class FakeChat(FakeBluesky):
    """chat.bsky.convo.* as the PDS serves them: forwarded to the chat service only with the
    atproto-proxy header, refused for an app password not allowed DMs ("Bad token method"), messages
    newest first with TID ids, conversations by latest activity."""

    def __init__(self, server: Loopback) -> None:
        super().__init__(server)
        self.dm_access = True
        self.convos: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.clock = 0
        for name, handler in (
            ("listConvos", self.list_convos),
            ("getMessages", self.get_messages),
            ("getConvoForMembers", self.convo_for_members),
        ):
            server.route("GET", CHAT + name, self.chat(handler))
        server.route("POST", CHAT + "sendMessage", self.chat(self.send_message))

    def chat(self, handler: Any) -> Any:
        def guarded(request: Request) -> Reply:
            denied = self.authorized(request)
            if denied:
                return denied
            if request.headers.get("atproto-proxy") != PROXY:
                return Reply(404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
            if not self.dm_access:
                return Reply(400, {"error": "InvalidToken", "message": "Bad token method"})
            return handler(request)

        return guarded

    def _tid(self) -> str:
        self.clock += 1
        return tid(int((time.time() + self.clock / 1000) * 1_000_000), 7)

    def profile(self, did: str) -> dict[str, Any]:
        handle = "acme.bsky.social" if did == ME else f"{did.rsplit(':', 1)[-1]}.bsky.social"
        return {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()}

    def open_convo(self, customer: str) -> str:
        convo_id = f"convo{len(self.convos) + 1}"
        self.convos[convo_id] = {
            "id": convo_id,
            "rev": self._tid(),
            "members": [self.profile(ME), self.profile(customer)],
            "muted": False,
            "unreadCount": 0,
        }
        self.messages[convo_id] = []
        return convo_id

    def say(self, convo_id: str, sender: str, text: str) -> dict[str, Any]:
        message_id = self._tid()
        message = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": message_id,
            "rev": message_id,
            "text": text,
            "sender": {"did": sender},
            "sentAt": iso(time.time() + self.clock / 1000),
        }
        self.messages[convo_id].insert(0, message)  # newest first
        self.convos[convo_id]["rev"] = message_id
        self.convos[convo_id]["lastMessage"] = message
        return message

    def list_convos(self, request: Request) -> Reply:
        ordered = sorted(self.convos.values(), key=lambda c: c["rev"], reverse=True)
        return self._page(request, ordered, "convos")

    def get_messages(self, request: Request) -> Reply:
        convo_id = str(request.arg("convoId"))
        if convo_id not in self.messages:
            return Reply(400, {"error": "InvalidConvo", "message": "Convo not found"})
        return self._page(request, self.messages[convo_id], "messages")

    def _page(self, request: Request, items: list[dict[str, Any]], key: str) -> Reply:
        start = int(request.arg("cursor") or 0)
        limit = min(int(request.arg("limit") or 50), self.page)
        body: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return Reply(200, body)

    def convo_for_members(self, request: Request) -> Reply:
        [member] = request.query.get("members", [])
        for convo in self.convos.values():
            if member in {m["did"] for m in convo["members"]}:
                return Reply(200, {"convo": convo})
        return Reply(200, {"convo": self.convos[self.open_convo(member)]})

    def send_message(self, request: Request) -> Reply:
        body = request.json()
        if body["convoId"] not in self.messages:
            return Reply(400, {"error": "InvalidConvo", "message": "Convo not found"})
        return Reply(200, self.say(body["convoId"], ME, body["message"]["text"]))


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeChat:
    return FakeChat(loopback_server)


def chat_calls(server: Loopback, name: str) -> list[Request]:
    return server.calls("GET", CHAT + name)


def test_customers_direct_messages_arrive(fake: FakeChat, loopback_server: Loopback) -> None:
    carol = fake.open_convo("did:plc:carol")
    fake.say(carol, "did:plc:carol", "hi, my order 1234 never came")
    fake.say(carol, ME, "Sorry! Let me check.")
    asked = fake.say(carol, "did:plc:carol", "any news?")
    dan = fake.open_convo("did:plc:dan")
    fake.say(dan, "did:plc:dan", "refund please")
    mention = fake.notify("@acme.bsky.social hello")
    posts = {p.text: p for p in make(loopback_server).fetch(None).posts}
    assert set(posts) == {
        "hi, my order 1234 never came",
        "Sorry! Let me check.",
        "any news?",
        "refund please",
        mention["record"]["text"],
    }
    question = posts["any news?"]
    assert (question.kind, question.native_id, question.conversation_id) == (
        "dm",
        f"chat:{carol}:{asked['id']}",
        f"chat:{carol}",
    )
    assert question.author.handle == "carol.bsky.social" and question.author.native_id == "did:plc:carol"
    assert posts["Sorry! Let me check."].is_ours and posts["Sorry! Let me check."].kind == "own"
    assert all(r.headers.get("atproto-proxy") == PROXY for r in chat_calls(loopback_server, "getMessages"))


def test_the_next_sync_reads_only_conversations_that_moved(fake: FakeChat, loopback_server: Loopback) -> None:
    fake.page = 2
    carol, dan = fake.open_convo("did:plc:carol"), fake.open_convo("did:plc:dan")
    for i in range(5):
        fake.say(carol, "did:plc:carol", f"message {i}")
    fake.say(dan, "did:plc:dan", "refund please")
    connector = make(loopback_server)
    first = connector.fetch(None)
    assert len([p for p in first.posts if p.kind == "dm"]) == 6  # three pages of carol's
    fake.say(carol, "did:plc:carol", "still there?")
    before = len(chat_calls(loopback_server, "getMessages"))
    second = connector.fetch(first.cursor)
    assert [p.text for p in second.posts] == ["still there?"]
    asked = chat_calls(loopback_server, "getMessages")[before:]
    assert [r.arg("convoId") for r in asked] == [carol]  # dan's conversation did not move
    assert connector.fetch(second.cursor).posts == []


def test_without_dm_access_mentions_still_arrive(fake: FakeChat, loopback_server: Loopback) -> None:
    fake.dm_access = False
    fake.say(fake.open_convo("did:plc:carol"), "did:plc:carol", "hi")
    fake.notify("@acme.bsky.social hello")
    connector = make(loopback_server)
    first = connector.fetch(None)
    assert [p.kind for p in first.posts] == ["mention"]
    assert len(first.quarantined) == 1 and "Bad token method" in first.quarantined[0].error
    fake.notify("@acme.bsky.social again")
    asked = len(chat_calls(loopback_server, "listConvos"))
    second = connector.fetch(first.cursor)
    assert [p.kind for p in second.posts] == ["mention"] and second.quarantined == []
    assert len(chat_calls(loopback_server, "listConvos")) == asked  # asked again only in an hour


def test_direct_messages_can_be_turned_off(fake: FakeChat, loopback_server: Loopback) -> None:
    fake.say(fake.open_convo("did:plc:carol"), "did:plc:carol", "hi")
    assert make(loopback_server, direct_messages=False).fetch(None).posts == []
    assert chat_calls(loopback_server, "listConvos") == []


def test_a_dm_reply_goes_to_its_conversation_and_is_found_again(
    fake: FakeChat, loopback_server: Loopback
) -> None:
    carol = fake.open_convo("did:plc:carol")
    fake.say(carol, "did:plc:carol", "hi")
    connector = make(loopback_server)
    [asked] = connector.fetch(None).posts
    reply = OutgoingReply(
        "k-dm",
        "We are on it",
        asked.native_id,
        to_handle=asked.author.handle,
        to_native_id=asked.author.native_id,
        dm=True,
        conversation_id=asked.conversation_id,
        extra={"created_at": time.time() - 60},
    )
    assert connector.find_sent(reply) is None
    sent = connector.send(reply)
    assert (
        fake.messages[carol][0]["text"] == "We are on it"
        and sent.native_id == f"chat:{carol}:{fake.messages[carol][0]['id']}"
    )
    assert connector.find_sent(reply) == sent
    new = OutgoingReply(
        "k-new", "Hello Dan", None, to_handle="dan.bsky.social", to_native_id="did:plc:dan", dm=True
    )
    connector.send(new)
    [dan] = [c for c in fake.convos if c != carol]
    assert [m["text"] for m in fake.messages[dan]] == ["Hello Dan"]


def test_the_outbox_answers_a_dm_in_its_conversation(
    fake: FakeChat, loopback_server: Loopback, tmp_path: Any
) -> None:
    from socialdesk.services.outbox import Outbox
    from socialdesk.store import Store

    carol = fake.open_convo("did:plc:carol")
    fake.say(carol, "did:plc:carol", "where is my refund?")
    store = Store(tmp_path / "cache.db")
    store.upsert_posts(make(loopback_server).fetch(None).posts)
    post_id = store.conn.execute("SELECT id FROM posts WHERE kind = 'dm'").fetchone()[0]
    outbox = Outbox(store, lambda network, account: make(loopback_server), undo_seconds=0)
    [reply_id] = outbox.enqueue(post_id, "It left today", "ana", dm=True)
    outbox.delivery.process_due(time.time() + 1)
    row = outbox.get(reply_id)
    assert row is not None and row.state == "sent", row
    assert [m["text"] for m in fake.messages[carol]] == ["It left today", "where is my refund?"]
