"""Replies on a Mastodon-API server: how public, sent once, and found again as the server stored them.

The sending half of `MastodonConnector` (the fetching half stays in mastodon.py). A reply is never
more public than the post it answers; a POST that may have reached the server is never repeated
here; `find_sent` looks for the reply in the answered post's replies and in our own statuses back to
the first attempt, comparing text the way the server renders it (mastodon_server.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from socialdesk.connectors import mastodon_server as server
from socialdesk.connectors.base import (
    CannotTell,
    OutgoingReply,
    PermanentError,
    SendResult,
    TransientError,
)
from socialdesk.connectors.http import Api, HttpError, QueryValue, parse_time


class MastodonReplies:
    """Sending and reconciliation for the Mastodon connector (mixed into MastodonConnector)."""

    # Pages of our own statuses find_sent reads back to the first attempt before giving up.
    LOOKBACK_PAGES = 10
    # Server clocks disagree with ours: look this much further back than the first attempt.
    CLOCK_SKEW = 15 * 60.0
    # Mastodon keeps an Idempotency-Key one hour; trust it for less, and only when find_sent can't tell.
    KEY_TRUSTED_FOR = 45 * 60.0

    # What the connector provides.
    api: Api
    visibility: str
    _instance: dict[str, Any] | None
    _get: Callable[..., Any]
    _auth: Callable[[], dict[str, str]]
    _whoami: Callable[[], dict[str, Any]]
    _read_instance: Callable[[], None]

    def status_text(self, reply: OutgoingReply) -> str:
        """The exact status text sent: a direct message mentions its recipient, or nobody gets it."""
        text = reply.text
        if reply.dm and reply.to_handle:
            mention = "@" + reply.to_handle.lstrip("@")
            if mention.lower() not in text.lower():
                text = f"{mention} {text}"
        return text

    @classmethod
    def visibility_for(cls, parent_raw: object, dm: bool, settings: Mapping[str, object]) -> str:
        """The visibility of a reply to a stored post: never more public than the post it answers."""
        parent = server.parent_status(parent_raw)
        configured = str(settings.get("visibility") or "public")
        return server.reply_visibility(str(parent.get("visibility") or ""), configured, dm)

    @classmethod
    def reply_audience(cls, parent_raw: object, dm: bool, settings: Mapping[str, object]) -> str:
        """Who will see the reply, in words (the review and `socialdesk reply` show it)."""
        visibility = cls.visibility_for(parent_raw, dm, settings)
        parent = server.parent_status(parent_raw)
        if not dm and not parent.get("visibility"):
            return f"{server.AUDIENCE[visibility]} at most (the post's own visibility is checked on send)"
        return server.AUDIENCE[visibility]

    def _parent(self, reply: OutgoingReply) -> Mapping[str, Any]:
        """The status answered, from the stored payload, else asked of the server (a read)."""
        parent = server.parent_status(reply.extra.get("parent_raw"))
        if parent.get("visibility") or not reply.in_reply_to:
            return parent
        try:
            found = self._get(f"/api/v1/statuses/{quote(reply.in_reply_to, safe='')}")
        except HttpError as exc:
            if exc.status == 404:
                raise PermanentError("Mastodon: the post being answered no longer exists") from None
            raise
        return found if isinstance(found, dict) else {}

    def send(self, reply: OutgoingReply) -> SendResult:
        """Post a reply (or a direct message), no more public than the post it answers.

        Sent once: a POST that may have reached the server is never repeated here (Mastodon checks
        the Idempotency-Key before creating and stores it after, so a racing repeat still creates;
        GoToSocial ignores it). The outbox reconciles with `find_sent` instead.
        """
        parent = self._parent(reply)
        visibility = server.reply_visibility(str(parent.get("visibility") or ""), self.visibility, reply.dm)
        # Plain text, so the server stores what we typed (a GoToSocial account set to Markdown would
        # otherwise render `*` and `_`, and find_sent could not recognise the reply).
        body: dict[str, Any] = {
            "status": self.status_text(reply),
            "visibility": visibility,
            "content_type": "text/plain",
        }
        if reply.in_reply_to:
            body["in_reply_to_id"] = reply.in_reply_to
        if parent.get("spoiler_text"):
            body["spoiler_text"] = str(parent["spoiler_text"])  # the customer's content warning stays
        if parent.get("language"):
            body["language"] = str(parent["language"])
        data = self.api.post_json(
            "/api/v1/statuses",
            body,
            headers={**self._auth(), "Idempotency-Key": reply.idempotency_key},
            idempotent=False,
        )
        if not isinstance(data, dict) or not data.get("id"):
            raise TransientError("Mastodon: the server accepted the status but returned no id")
        return SendResult(native_id=str(data["id"]), url=str(data.get("url") or data.get("uri") or ""))

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Find the reply as the server stored it: in the parent's replies, else in our own statuses.

        A status matches when it is ours, answers the same parent and shows our text as the server
        renders it (mentions without their domain). Not finding it in the parent's context nor in
        our statuses back to the first attempt proves it was never created.

        Raises:
            CannotTell: our statuses since the first attempt are too many to read.
        """
        me = str(self._whoami()["id"])
        text = self.status_text(reply)
        parent = reply.in_reply_to or None

        def ours(status: Any) -> bool:
            return (
                isinstance(status, dict)
                and str((status.get("account") or {}).get("id")) == me
                and (str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None) == parent
                and server.same_text(text, str(status.get("content") or ""))
            )

        if parent:
            try:
                context = self._get(f"/api/v1/statuses/{quote(parent, safe='')}/context")
            except HttpError as exc:
                if exc.status != 404:  # the parent was deleted: our statuses still tell
                    raise
                context = {}
            for status in (context.get("descendants") or []) if isinstance(context, dict) else []:
                if ours(status):
                    return self._found(status)
        return self._find_in_own_statuses(me, ours, reply.first_attempt_at)

    def _find_in_own_statuses(self, me: str, ours: Any, first_attempt_at: float | None) -> SendResult | None:
        since = None if first_attempt_at is None else first_attempt_at - self.CLOCK_SKEW
        params: dict[str, QueryValue] = {"limit": 40, "exclude_reblogs": "true"}
        for _ in range(self.LOOKBACK_PAGES):
            page = self._get(f"/api/v1/accounts/{quote(me, safe='')}/statuses", params)
            statuses = [s for s in page if isinstance(s, dict)] if isinstance(page, list) else []
            for status in statuses:
                if ours(status):
                    return self._found(status)
            if not statuses:
                return None  # the account's whole history was read
            try:
                oldest = parse_time(statuses[-1].get("created_at"))
            except ValueError:
                oldest = None
            if since is not None and oldest is not None and oldest < since:
                return None  # read back past the first attempt
            params = {**params, "max_id": str(statuses[-1]["id"])}
        raise CannotTell(
            f"Mastodon: more than {self.LOOKBACK_PAGES * 40} statuses since the first attempt; look yourself"
        )

    @staticmethod
    def _found(status: Mapping[str, Any]) -> SendResult:
        return SendResult(native_id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""))

    def honours_idempotency_key(self) -> bool:
        """Whether this server is Mastodon itself (read from /api/v2/instance once)."""
        if self._instance is None:
            self._read_instance()
        return server.honours_idempotency_key(self._instance)

    def resend_is_harmless(self, reply: OutgoingReply, age: float) -> bool:
        """Mastodon answers a repeated key with the first status for an hour; other servers don't."""
        return age < self.KEY_TRUSTED_FOR and self.honours_idempotency_key()
