"""An X API v2 server on the loopback: users/me, mentions, recent search, tweet lookup, POST /2/tweets and
one-to-one DMs, refusing (403 with X's bodies) and failing (faults.py's script) the way X does."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from typing import Any

from socialdesk.connectors.http import parse_time
from socialdesk.testing import Loopback, Reply, Request
from tests.connectors.faults import scripted

ME = {"id": "2244994945", "username": "AcmeSupport", "name": "Acme Support"}


# X's own error bodies (RFC 7807 problem shape, or the older `errors` list), as its API answers them.
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
DELETED = {
    "detail": "You attempted to reply to a Tweet that is deleted or not visible to you.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
# Since February 2026 a self-serve app may reply only to authors who mentioned or quoted it; X does
# not document the body, so the fake answers in the shape of its other reply refusals.
NOT_PERMITTED = {
    "detail": "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
DM_REFUSED = {"errors": [{"code": 349, "message": "You cannot send messages to this user."}]}
FORBIDDEN = {"detail": "Forbidden", "type": "about:blank", "title": "Forbidden", "status": 403}
NOT_ENROLLED = {
    "client_id": "29170474",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
    "from a Twitter developer App that is attached to a Project.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


class FakeX:
    """users/me, mentions (since_id + pagination_token), search/recent, tweets lookup, POST /2/tweets, DMs.

    It refuses like X: duplicate content, a reply to a deleted post, a DM the recipient does not
    accept, and (with `self_serve`) a reply to an author who did not mention us, each a 403 with X's
    body. Fault switches for the exactly-once suite: `script` (tests/connectors/faults.py) says what
    the next creating POSTs do; `dm_read = False` answers DM lookups 403 (a token without dm.read).
    """

    def __init__(self, server: Loopback, page: int = 100) -> None:
        self.server = server
        self.page = page
        self.mentions: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []
        self.dms: list[dict[str, Any]] = []  # every MessageCreate event, oldest first
        self.deleted: set[str] = set()
        self.closed_dms: set[str] = set()  # users who do not accept our DMs
        self.self_serve = False
        self.dm_read = True
        self.script: deque[str] = deque()  # faults of the next creating POSTs (faults.py)
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

    def dm_partner(self, uid: str) -> None:
        """Serve the one-to-one DM conversation with `uid` (send, and list its events)."""
        self.server.route("POST", f"/2/dm_conversations/with/{uid}/messages", lambda r: self.send_dm(r, uid))
        self.server.route(
            "GET", f"/2/dm_conversations/with/{uid}/dm_events", lambda r: self.dm_events(r, uid)
        )

    def copies(self, text: str) -> int:
        """How many posts and DMs with this text exist on the server."""
        return sum(t["text"] == text for t in self.mine) + sum(e["text"] == text for e in self.dms)

    def _now(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _limited(self) -> Reply:
        reset = str(int(datetime.now(UTC).timestamp()) + 900)
        headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": reset}
        return Reply(
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            headers=headers,
        )

    def send_dm(self, request: Request, uid: str) -> Reply:
        return scripted(self.script, lambda: self._send_dm(request, uid), self._limited())

    def _send_dm(self, request: Request, uid: str) -> Reply:
        if uid in self.closed_dms:
            return Reply(403, DM_REFUSED)
        self.n += 1
        conversation = "-".join(sorted((ME["id"], uid)))
        event = {
            "id": str(self.n),
            "event_type": "MessageCreate",
            "text": request.json()["text"],
            "sender_id": ME["id"],
            "dm_conversation_id": conversation,
            "created_at": self._now(),
        }
        self.dms.append(event)
        return Reply(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event["id"]}})

    def dm_events(self, request: Request, uid: str) -> Reply:
        if not self.dm_read:
            return Reply(403, FORBIDDEN)
        conversation = "-".join(sorted((ME["id"], uid)))
        events = [e for e in reversed(self.dms) if e["dm_conversation_id"] == conversation]
        start = int(request.arg("pagination_token", "0") or 0)
        limit = min(int(request.arg("max_results", "100") or 100), self.page)
        chunk = events[start : start + limit]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if start + len(chunk) < len(events):
            meta["next_token"] = str(start + len(chunk))
        return Reply(200, {"data": chunk, "meta": meta} if chunk else {"meta": meta})

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

    def search_hit(self, text: str) -> dict[str, Any]:
        tweet = self.tweet(text=text)
        self.search.append(tweet)
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
        start_time = request.arg("start_time")
        if start_time:
            newest_first = [t for t in newest_first if parse_time(t["created_at"]) >= parse_time(start_time)]
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
        return scripted(self.script, lambda: self._create(request), self._limited())

    def _create(self, request: Request) -> Reply:
        body = request.json()
        parent = body.get("reply", {}).get("in_reply_to_tweet_id")
        if any(t["text"] == body["text"] for t in self.mine):
            return Reply(403, DUPLICATE)
        if parent in self.deleted:
            return Reply(403, DELETED)
        known = {t["id"]: t for t in self.mentions + self.search}
        if self.self_serve and parent in known and "@acmesupport" not in known[parent]["text"].lower():
            return Reply(403, NOT_PERMITTED)
        self.n += 1
        tweet = {
            "id": str(self.n),
            "text": body["text"],
            "author_id": ME["id"],
            "edit_history_tweet_ids": [str(self.n)],
            "referenced_tweets": [{"type": "replied_to", "id": parent}] if parent else [],
        }
        self.mine.append({**tweet, "created_at": self._now(), "conversation_id": parent or tweet["id"]})
        return Reply(
            201, {"data": {"id": tweet["id"], "text": tweet["text"], "edit_history_tweet_ids": [tweet["id"]]}}
        )
