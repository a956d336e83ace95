"""Bluesky direct messages (chat.bsky.convo.*), served by the chat service through our PDS.

Every call goes to the PDS with an `atproto-proxy` header naming the chat service, which the PDS
forwards it to with a token of its own. An app password reaches chat only when it was created with
"allow access to your direct messages"; otherwise the PDS refuses the call, and the desk goes on
without DMs (the reason is quarantined once, so `doctor` shows it) and asks again an hour later.

The cursor keeps, per conversation, the newest message read; a conversation whose `rev` has not
moved is not read again. Messages come newest first and are read back to that message (or the
backfill horizon).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialdesk.connectors.base import ConnectorError, Quarantined
from socialdesk.connectors.http import Query, QueryValue, parse_time, raw_text
from socialdesk.models import Author, Post

CHAT_PROXY = {"atproto-proxy": "did:web:api.bsky.chat#bsky_chat"}
MESSAGE = "chat.bsky.convo.defs#messageView"
RETRY_AFTER_REFUSAL = 3600.0  # seconds before asking a chat service that refused us again
MAX_PAGES = 20  # pages of conversations, and of messages per conversation, in one fetch

# (method, nsid, params, body) -> the decoded answer; the connector's session-aware XRPC call.
Call = Callable[[str, str, Query | None, object], Any]


def send_message(call: Call, convo_id: str, text: str, message_facets: list[dict[str, Any]]) -> str:
    """Send a message to a conversation; returns its native id (chat:<convo>:<message>)."""
    message: dict[str, Any] = {"text": text, **({"facets": message_facets} if message_facets else {})}
    data = call("POST", "chat.bsky.convo.sendMessage", None, {"convoId": convo_id, "message": message})
    if not isinstance(data, dict) or not data.get("id"):
        raise ConnectorError("Bluesky: chat.bsky.convo.sendMessage answered without the message's id")
    return f"chat:{convo_id}:{data['id']}"


def convo_for(call: Call, conversation_id: str | None, member: str) -> str:
    """The conversation a DM goes to: the one it answers, else the one with `member` (a DID)."""
    if conversation_id and conversation_id.startswith("chat:"):
        return conversation_id.removeprefix("chat:").split(":", 1)[0]
    if not member:
        raise ConnectorError("Bluesky: a direct message needs the recipient's DID")
    data = call("GET", "chat.bsky.convo.getConvoForMembers", {"members": [member]}, None)
    convo = data.get("convo") if isinstance(data, dict) else None
    if not isinstance(convo, dict) or not convo.get("id"):
        raise ConnectorError("Bluesky: chat.bsky.convo.getConvoForMembers answered without a convo")
    return str(convo["id"])


def find_message(call: Call, convo_id: str, me: str, text: str, since: float) -> str | None:
    """Our message with this text sent at or after `since` (a send that may have arrived), if any."""
    data = call("GET", "chat.bsky.convo.getMessages", {"convoId": convo_id, "limit": 50}, None)
    for message in (data.get("messages") if isinstance(data, dict) else None) or []:
        if not isinstance(message, dict) or message.get("$type", MESSAGE) != MESSAGE:
            continue
        try:
            ours = message["sender"]["did"] == me and message["text"] == text
            if ours and parse_time(message["sentAt"]) >= since - 5:
                return f"chat:{convo_id}:{message['id']}"
        except (KeyError, TypeError, ValueError):
            continue
    return None


def dm_url(handle: str) -> str:
    """Where the agent reads the conversation in the official app."""
    return f"https://bsky.app/messages?handle={handle}" if handle else "https://bsky.app/messages"


class ChatReader:
    """Reads new direct messages into Posts for one account.

    Args:
        call: the connector's XRPC call (it adds the chat proxy header).
        me: our DID.
        account: our account's name (Post.account).
        horizon: unix seconds; older messages are not read.
    """

    def __init__(self, call: Call, me: str, account: str, horizon: float) -> None:
        self.call = call
        self.me = me
        self.account = account
        self.horizon = horizon

    def read(self, state: dict[str, Any], now: float) -> tuple[list[Post], list[Quarantined], dict[str, Any]]:
        """New messages of every conversation that moved since `state`; returns the next state."""
        state = dict(state)
        if float(state.get("retry_at") or 0) > now:
            return [], [], state
        posts: list[Post] = []
        quarantined: list[Quarantined] = []
        seen: dict[str, str] = dict(state.get("c") or {})
        revs: dict[str, str] = dict(state.get("r") or {})
        try:
            for convo in self._convos():
                convo_id = str(convo.get("id") or "")
                if not convo_id or revs.get(convo_id) == convo.get("rev"):
                    continue
                members = {str(m.get("did")): m for m in convo.get("members") or [] if isinstance(m, dict)}
                newest, got, bad = self._messages(convo_id, members, seen.get(convo_id))
                posts += got
                quarantined += bad
                if newest:
                    seen[convo_id] = newest
                revs[convo_id] = str(convo.get("rev") or "")
        except ConnectorError as exc:  # refused, unreachable or broken: the other streams go on
            reason = f"bluesky dm: the chat service failed us ({exc}); DMs are skipped for an hour"
            if state.get("error") != str(exc):
                quarantined.append(Quarantined(reason, ""))
            return posts, quarantined, {**state, "error": str(exc), "retry_at": now + RETRY_AFTER_REFUSAL}
        return posts, quarantined, {"c": seen, "r": revs}

    def _convos(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        for _ in range(MAX_PAGES):
            data = self.call("GET", "chat.bsky.convo.listConvos", {"limit": 100, **_cursor(cursor)}, None)
            convos = data.get("convos") if isinstance(data, dict) else None
            if not isinstance(convos, list):
                raise ConnectorError("Bluesky: chat.bsky.convo.listConvos answered without a convos list")
            found += [c for c in convos if isinstance(c, dict)]
            cursor = data.get("cursor")
            if not cursor or not convos:
                break
        return found

    def _messages(
        self, convo_id: str, members: dict[str, Any], last: str | None
    ) -> tuple[str | None, list[Post], list[Quarantined]]:
        """Messages newer than `last` (ids are TIDs: they sort by time); the newest id read."""
        posts: list[Post] = []
        bad: list[Quarantined] = []
        newest: str | None = None
        cursor = None
        for _ in range(MAX_PAGES):
            params: dict[str, QueryValue] = {"convoId": convo_id, "limit": 100, **_cursor(cursor)}
            data = self.call("GET", "chat.bsky.convo.getMessages", params, None)
            messages = data.get("messages") if isinstance(data, dict) else None
            if not isinstance(messages, list):
                raise ConnectorError("Bluesky: chat.bsky.convo.getMessages answered without a messages list")
            reached = False
            for message in messages:
                message_id = str(message.get("id") or "") if isinstance(message, dict) else ""
                if last is not None and message_id and message_id <= last:
                    reached = True
                    break
                if message_id and (newest is None or message_id > newest):
                    newest = message_id
                if not isinstance(message, dict) or message.get("$type", MESSAGE) != MESSAGE:
                    continue  # a deleted message or a system event ("joined", "left")
                try:
                    post = self._post(convo_id, message, members)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    bad.append(Quarantined(f"bluesky dm: {exc!r}", raw_text(message)))
                    continue
                if post.created_at < self.horizon:
                    reached = True
                    break
                posts.append(post)
            cursor = data.get("cursor")
            if reached or not cursor or not messages:
                break
        return newest, posts, bad

    def _post(self, convo_id: str, message: dict[str, Any], members: dict[str, Any]) -> Post:
        sender = str(message["sender"]["did"])
        profile = members.get(sender) or {}
        handle = str(profile.get("handle") or sender)
        others = [m for did, m in members.items() if did != self.me]
        is_ours = sender == self.me
        return Post(
            network="bluesky",
            native_id=f"chat:{convo_id}:{message['id']}",
            author=Author(
                native_id=sender,
                handle=handle,
                display_name=str(profile.get("displayName") or ""),
                url=f"https://bsky.app/profile/{handle}",
            ),
            text=str(message["text"]),
            created_at=parse_time(message["sentAt"]),
            account=self.account,
            url=dm_url(str((others[0] if others else {}).get("handle") or "")),
            conversation_id=f"chat:{convo_id}",
            kind="own" if is_ours else "dm",
            is_ours=is_ours,
            raw={"convo_id": convo_id, "message": message},
        )


def _cursor(cursor: object) -> dict[str, str]:
    return {"cursor": str(cursor)} if cursor else {}
