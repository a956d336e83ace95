"""Bluesky replies and direct messages: written once, found again by their record key or text.

A reply is written under a record key derived from its idempotency key, so a retry can never
create a second post: the PDS refuses the taken key (a 500) and `find_sent` finds the first one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from socialdesk.connectors.atproto_richtext import facets
from socialdesk.connectors.atproto_session import XrpcSession
from socialdesk.connectors.atproto_tid import legacy_rkey_for, rkey_for
from socialdesk.connectors.base import (
    OutgoingReply,
    PermanentError,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.connectors.bluesky_chat import CHAT_PROXY, convo_for, dm_url, find_message, send_message
from socialdesk.connectors.bluesky_posts import POST_TYPE
from socialdesk.connectors.http import HttpError, Query


def iso(ts: float) -> str:
    """A time as the AT Protocol writes it: ISO 8601, milliseconds, Z."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _refs(data: object) -> dict[str, Any]:
    """uri, cid and thread root of a record from createRecord's or getRecord's answer (+ the record)."""
    if not isinstance(data, dict) or not data.get("uri") or not data.get("cid"):
        raise SendUncertain("Bluesky: the PDS answered without the record's uri and cid")
    own = {"uri": str(data["uri"]), "cid": str(data["cid"])}
    root = (((data.get("value") or {}).get("reply") or {}).get("root")) or own
    return {**own, "root": {"uri": str(root["uri"]), "cid": str(root["cid"])}}


def parent_langs(reply: OutgoingReply) -> list[str]:
    """The languages of the post answered (from its stored record), which a reply carries on."""
    raw = reply.extra.get("parent_raw")
    record = raw.get("record") if isinstance(raw, dict) else None
    langs = record.get("langs") if isinstance(record, dict) else None
    if not isinstance(langs, list):
        return []
    return [str(lang) for lang in langs if isinstance(lang, str) and lang][:3]  # the lexicon's maximum


def _created_at(reply: OutgoingReply) -> float | None:
    value = reply.extra.get("created_at")
    return float(value) if isinstance(value, int | float) else None


class BlueskySender:
    """Sends and reconciles one account's replies and direct messages through its session."""

    def __init__(self, xrpc: XrpcSession) -> None:
        self.xrpc = xrpc

    def chat(self, method: str, nsid: str, params: Query | None, body: object) -> Any:
        """An XRPC call the PDS forwards to the chat service."""
        return self.xrpc.call(
            method, nsid, params, body, idempotent=method == "GET", extra_headers=CHAT_PROXY
        )

    def _resolve(self, handle: str) -> str | None:
        try:
            data = self.xrpc.call("GET", "com.atproto.identity.resolveHandle", {"handle": handle})
        except (HttpError, TransientError):
            return None
        return data.get("did") if isinstance(data, dict) else None

    def _record_refs(self, uri: str) -> dict[str, Any]:
        """One of our records' cid and thread root, read from the repo (consistent right after a write)."""
        did, collection, rkey = uri.removeprefix("at://").split("/")
        data = self.xrpc.call(
            "GET", "com.atproto.repo.getRecord", {"repo": did, "collection": collection, "rkey": rkey}
        )
        return _refs(data)

    def _reply_refs(self, reply: OutgoingReply) -> dict[str, Any] | None:
        """The record's `reply` refs: root and parent, each {uri, cid}.

        A later part of our own thread answers the part before it with the refs createRecord
        returned for that part (the outbox keeps them): the AppView indexes our posts only after a
        delay, so reading them back there would find nothing yet. The customer's post is read from
        the AppView, which also tells us when it no longer exists.
        """
        if not reply.in_reply_to:
            return None
        parent, root = reply.extra.get("parent"), reply.extra.get("root")
        previous = reply.extra.get("previous")
        if isinstance(parent, dict) and isinstance(root, dict):
            pass
        elif isinstance(previous, dict) and previous.get("native_id") == reply.in_reply_to:
            refs = previous.get("refs") or {}
            if not (refs.get("cid") and isinstance(refs.get("root"), dict)):
                refs = self._record_refs(reply.in_reply_to)  # from our repo on the PDS, not an index
            parent, root = {"uri": reply.in_reply_to, "cid": refs["cid"]}, refs["root"]
        else:
            data = self.xrpc.call("GET", "app.bsky.feed.getPosts", {"uris": [reply.in_reply_to]})
            views = data.get("posts") if isinstance(data, dict) else None
            if not views:
                raise PermanentError("Bluesky: the post being answered no longer exists")
            view = views[0]
            parent = {"uri": view["uri"], "cid": view["cid"]}
            root = ((view.get("record") or {}).get("reply") or {}).get("root") or parent
        return {
            "root": {"uri": root["uri"], "cid": root["cid"]},
            "parent": {"uri": parent["uri"], "cid": parent["cid"]},
        }

    def refusal(self, reply: OutgoingReply) -> str | None:
        """A post the AppView no longer has cannot be answered (a DM goes to its conversation)."""
        if reply.in_reply_to and not reply.dm:
            data = self.xrpc.call("GET", "app.bsky.feed.getPosts", {"uris": [reply.in_reply_to]})
            if isinstance(data, dict) and not data.get("posts"):
                return "the post being answered no longer exists on Bluesky"
        return None

    def send(self, reply: OutgoingReply) -> SendResult:
        """Create the reply under a record key derived from its idempotency key."""
        if reply.dm:
            return self._send_dm(reply)
        created = _created_at(reply)
        record: dict[str, Any] = {
            "$type": POST_TYPE,
            "text": reply.text,
            "createdAt": iso(created or time.time()),
        }
        refs = self._reply_refs(reply)
        if refs:
            record["reply"] = refs
        if langs := parent_langs(reply):
            record["langs"] = langs
        found = facets(reply.text, self._resolve)
        if found:
            record["facets"] = found
        body = {
            "repo": self.xrpc.did,
            "collection": POST_TYPE,
            "rkey": rkey_for(reply.idempotency_key, created),
            "record": record,
        }
        try:
            data = self.xrpc.call("POST", "com.atproto.repo.createRecord", body=body, idempotent=True)
        except (HttpError, SendUncertain):
            # Maybe a repeat of a send that had reached the server. The PDS refuses a record key that
            # is taken with a 500 (InternalServerError), which the retries end as SendUncertain.
            existing = self.find_sent(reply)
            if existing is not None:
                return existing
            raise
        return self._result(_refs({**data, "value": record}))

    def _send_dm(self, reply: OutgoingReply) -> SendResult:
        """A direct message (chat.bsky.convo.sendMessage), in the conversation it answers if any.

        Chat has no idempotency key: a send that may have arrived is uncertain, and `find_sent`
        looks for it among our messages of the conversation before the outbox repeats it.
        """
        convo = convo_for(self.chat, reply.conversation_id, reply.to_native_id)
        try:
            native_id = send_message(self.chat, convo, reply.text, facets(reply.text, self._resolve))
        except TransientError as exc:
            raise SendUncertain(str(exc)) from None
        return SendResult(native_id=native_id, url=dm_url(reply.to_handle))

    def _result(self, refs: dict[str, Any]) -> SendResult:
        uri = str(refs["uri"])
        return SendResult(
            native_id=uri,
            url=f"https://bsky.app/profile/{self.xrpc.shown_handle}/post/{uri.rsplit('/', 1)[-1]}",
            refs={"cid": refs["cid"], "root": refs["root"]},
        )

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """The reply's record, looked up by its deterministic key (None when it was never created);
        a DM: our message with its text in the conversation since it was written."""
        if reply.dm:
            convo = convo_for(self.chat, reply.conversation_id, reply.to_native_id)
            since = float(reply.first_attempt_at or reply.extra.get("created_at") or 0.0)
            found = find_message(self.chat, convo, self.xrpc.did, reply.text, since)
            return SendResult(native_id=found, url=dm_url(reply.to_handle)) if found else None
        created = _created_at(reply)
        keys = [rkey_for(reply.idempotency_key, created)]
        if created is not None:
            keys.append(legacy_rkey_for(reply.idempotency_key, created))
        for rkey in keys:
            try:
                data = self.xrpc.call(
                    "GET",
                    "com.atproto.repo.getRecord",
                    {"repo": self.xrpc.did, "collection": POST_TYPE, "rkey": rkey},
                )
            except HttpError as exc:
                if exc.status in (400, 404):
                    continue
                raise
            value = data.get("value") if isinstance(data, dict) else None
            # Another reply's record under the same key (two keys that once collided) is not this one.
            if isinstance(value, dict) and value.get("text") == reply.text and data.get("uri"):
                return self._result(_refs(data))
        return None
