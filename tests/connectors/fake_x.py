"""An X API v2 server on the loopback, shaped like X's documented behaviour, deviations included.

What it does as X does (docs.x.com API reference and X's own error bodies):

* ids are snowflakes carrying their creation time; timelines are newest first, paged with an opaque
  token (`pagination_token` on user timelines, `next_token` on search) and `meta.result_count`,
  `newest_id`, `oldest_id`, `next_token`;
* `since_id` wins over `start_time`; the mentions timeline holds the newest 800 posts; recent search
  covers 7 days and answers 400 to a `since_id` or `start_time` older than that, and to a
  `max_results` outside 10..100 (5..100 on user timelines), with X's "Invalid Request" problem body;
* a post carries only the fields asked for in `tweet.fields` (plus id, text, edit_history_tweet_ids);
  a long post's `text` is cut, its whole text is in `note_tweet` when asked for;
* an edit is a new post with a new id whose `edit_history_tweet_ids` lists every version, oldest
  first; timelines show the newest version, a lookup by an old id the old one;
* media: a post's `attachments.media_keys` name media objects, served in `includes.media` with
  `expansions=attachments.media_keys`, each carrying `media_key` and `type` plus the `media.fields`
  asked for (`url` for photos only, `preview_image_url` for videos, `alt_text`, `width`, `height`);
* `POST /2/users/:id/muting` and `/blocking` with {"target_user_id"} answer {"data": {"muting": true}};
  blocking only for an Enterprise app (else 403 client-not-enrolled, as X's docs say);
* `GET /2/dm_events`: MessageCreate events newest first (no since_id), `pagination_token`,
  `dm_event.fields`, the sender in `includes.users` with `expansions=sender_id`;
* sending refuses like X: duplicate content, a reply to a deleted post, a DM the recipient does not
  accept, and (with `self_serve`) a reply to an author who did not mention us, each a 403 with X's
  body. Fault switches for the exactly-once suite: `script` (tests/connectors/faults.py) says what
  the next creating POSTs do; `dm_read = False` answers DM lookups 403 (a token without dm.read).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from socialdesk.testing import Loopback, Reply, Request
from tests.connectors.faults import scripted

ME = {"id": "2244994945", "username": "AcmeSupport", "name": "Acme Support"}
TWEPOCH_MS = 1_288_834_974_657  # X's snowflake epoch
DAY = 86_400.0
SEARCH_WINDOW = 7 * DAY
MENTIONS_HELD = 800
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_DM_FIELDS = ("id", "event_type", "text")
NOTE_CUT = 275  # a long post's `text` is its first characters and an ellipsis


def iso(ts: float) -> str:
    """X's timestamp format: 2024-01-15T10:30:00.000Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


def minute(ts: float) -> str:
    """X's error messages name times to the minute: 2026-06-22T16:35Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%MZ")


def snowflake_time(tweet_id: str) -> float:
    """When a snowflake id was minted (unix seconds)."""
    return ((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000


def invalid(parameter: str, value: str, message: str) -> Reply:
    """X's 400 problem body for a bad query parameter."""
    return Reply(
        400,
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


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
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
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


def not_found(tweet_id: str) -> Reply:
    """X's answer to a lookup of a post that does not exist (any more): a 200 with a problem."""
    return Reply(
        200,
        {
            "errors": [
                {
                    "value": tweet_id,
                    "detail": f"Could not find tweet with id: [{tweet_id}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "id",
                    "resource_id": tweet_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            ]
        },
    )


class FakeX:
    """users/me, mentions, search/recent, the account's posts, POST /2/tweets and DM events."""

    def __init__(self, server: Loopback, page: int = 100) -> None:
        self.server = server
        self.page = page  # the most the server puts on one page, whatever max_results says
        self.mentions: list[dict[str, Any]] = []
        self.search: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []
        self.dms: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}  # media key -> media object (every field)
        self.times: dict[str, float] = {}  # id -> creation time (kept apart: tests may break created_at)
        self.superseded: set[str] = set()  # ids replaced by an edit
        self.deleted: set[str] = set()
        self.closed_dms: set[str] = set()  # users who do not accept our DMs
        self.self_serve = False
        self.dm_read = True
        self.script: deque[str] = deque()  # faults of the next creating POSTs (faults.py)
        self.clock = time.time() - DAY  # default posts arrive one second apart, a day ago onwards
        self.seq = 0
        self._route("GET", "/2/users/me", lambda r: {"data": ME})
        self._route("GET", f"/2/users/{ME['id']}/mentions", self.mentions_timeline)
        self._route("GET", "/2/tweets/search/recent", self.search_recent)
        self._route("GET", f"/2/users/{ME['id']}/tweets", self.user_tweets)
        self._route("GET", "/2/dm_events", self.dm_events)
        self._route("POST", "/2/tweets", self.create)
        self._route("POST", f"/2/users/{ME['id']}/muting", lambda r: self.relate(r, "muting"))
        self._route("POST", f"/2/users/{ME['id']}/blocking", lambda r: self.relate(r, "blocking"))
        self.enterprise = False  # X offers blocking through the API on the Enterprise plan only
        self.muted: set[str] = set()
        self.blocked: set[str] = set()
        # OAuth 2.0: with tokens issued (issue()), only a live access token passes; none issued: any.
        self.token_clock: Callable[[], float] = time.time
        self.client_ids = {"x-client-1"}
        self.access: dict[str, float] = {}  # access token -> when it expires
        self.refresh_tokens: set[str] = set()  # each works once: X rotates them
        self.issued = 0
        server.route("POST", "/2/oauth2/token", self.token)

    # -- making posts ------------------------------------------------------------------------------

    def new_id(self, at: float) -> str:
        self.seq += 1
        return str(((int(at * 1000) - TWEPOCH_MS) << 22) | (self.seq % 4096))

    def when(self, age: float | None) -> float:
        if age is not None:
            return time.time() - age
        self.clock += 1
        return self.clock

    def tweet(
        self,
        text: str = "",
        *,
        author: str = "",
        reply_to: dict | None = None,
        age: float | None = None,
        media: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A post (not yet on any timeline); `age` in seconds before now, else one second after the last."""
        at = self.when(age)
        tid = self.new_id(at)
        author = author or str(1000 + int(tid) % 3)
        text = text or f"@AcmeSupport my order {tid[-4:]} never arrived"
        tweet: dict[str, Any] = {
            "id": tid,
            "text": text,
            "author_id": author,
            "created_at": iso(at),
            "conversation_id": reply_to["conversation_id"] if reply_to else tid,
            "lang": "en",
            "edit_history_tweet_ids": [tid],
        }
        if len(text) > 280:
            tweet["text"] = text[:NOTE_CUT] + "…"
            tweet["note_tweet"] = {"text": text, "entities": {}}
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            tweet["in_reply_to_user_id"] = reply_to["author_id"]
        if media:
            keys = []
            for index, item in enumerate(media):
                key = f"3_{tid}{index}"  # X's keys: a type prefix, then an id
                self.media[key] = {"media_key": key, **item}
                keys.append(key)
            tweet["attachments"] = {"media_keys": keys}
        self.times[tid] = at
        self._route("GET", f"/2/tweets/{tid}", lambda r: self.lookup(r, tweet))
        return tweet

    def mention(self, **kwargs: Any) -> dict[str, Any]:
        tweet = self.tweet(**kwargs)
        self.mentions.append(tweet)
        return tweet

    def search_hit(self, text: str) -> dict[str, Any]:
        tweet = self.tweet(text=text)
        self.search.append(tweet)
        return tweet

    def edit(self, tweet: dict[str, Any], text: str) -> dict[str, Any]:
        """Edit a post as X does: a new post with a new id and the whole chain in edit_history."""
        at = self.when(None)
        new = {**tweet, "id": self.new_id(at), "text": text}
        chain = [*tweet["edit_history_tweet_ids"], new["id"]]
        new["edit_history_tweet_ids"] = chain
        for stored in (*self.mentions, *self.search):
            if stored["id"] in chain:
                stored["edit_history_tweet_ids"] = chain
        new["created_at"] = iso(at)
        self.times[new["id"]] = at
        self.superseded.add(tweet["id"])
        self._route("GET", f"/2/tweets/{new['id']}", lambda r: self.lookup(r, new))
        for items in (self.mentions, self.search):
            if tweet in items:
                items.append(new)
        return new

    def delete(self, tweet: dict[str, Any]) -> None:
        """Delete a post as X does: every version of it goes."""
        chain = set(tweet["edit_history_tweet_ids"])
        self.deleted |= chain
        for items in (self.mentions, self.search, self.mine):
            items[:] = [t for t in items if t["id"] not in chain]

    def dm(self, text: str, *, sender: str = "1001", age: float | None = None) -> dict[str, Any]:
        at = self.when(age)
        eid = self.new_id(at)
        pair = sorted([sender, ME["id"]], key=int)
        event = {
            "id": eid,
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender,
            "created_at": iso(at),
            "dm_conversation_id": f"{pair[0]}-{pair[1]}",
        }
        self.times[eid] = at
        self.dms.append(event)
        self.serve_dm(event)
        return event

    def serve_dm(self, event: dict[str, Any]) -> None:
        """GET /2/dm_events/:id and its conversation's GET /2/dm_conversations/:id/dm_events."""
        self.server.route("GET", f"/2/dm_events/{event['id']}", lambda r: self.dm_lookup(r, event))
        self.server.route("GET", f"/2/tweets/{event['id']}", lambda r: not_found(event["id"]))
        conversation = event["dm_conversation_id"]
        self.server.route(
            "GET",
            f"/2/dm_conversations/{conversation}/dm_events",
            lambda r: self.conversation_page(r, conversation),
        )

    def user(self, uid: str) -> dict[str, Any]:
        if uid == ME["id"]:
            return {**ME, "public_metrics": {"followers_count": 9}}
        return {
            "id": uid,
            "username": f"customer{uid}",
            "name": f"Customer {uid}",
            "public_metrics": {"followers_count": int(uid), "following_count": 1, "tweet_count": 3},
        }

    # -- sending (h11b's exactly-once suite) ---------------------------------------------------------

    def dm_partner(self, uid: str) -> None:
        """Serve the one-to-one DM conversation with `uid` (send, and list its events)."""
        self._route("POST", f"/2/dm_conversations/with/{uid}/messages", lambda r: self.send_dm(r, uid))
        self._route(
            "GET", f"/2/dm_conversations/with/{uid}/dm_events", lambda r: self.conversation_events(r, uid)
        )

    def _route(self, method: str, path: str, handler: Callable[[Request], Any]) -> None:
        self.server.route(method, path, lambda request: self._guard(request, handler))

    def _guard(self, request: Request, handler: Callable[[Request], Any]) -> Any:
        if self.access:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if self.access.get(bearer, 0.0) <= self.token_clock():
                return Reply(401, UNAUTHORIZED)
        return handler(request)

    def issue(self, lifetime: float = 7200.0) -> dict[str, Any]:
        """A token set as X's token endpoint answers it (after the user authorised the app, or a refresh)."""
        self.issued += 1
        access, refresh = f"x-access-{self.issued}-secretvalue", f"x-refresh-{self.issued}-secretvalue"
        self.access[access] = self.token_clock() + lifetime
        self.refresh_tokens.add(refresh)
        return {
            "token_type": "bearer",
            "expires_in": int(lifetime),
            "access_token": access,
            "scope": "tweet.read users.read tweet.write dm.read dm.write offline.access",
            "refresh_token": refresh,
        }

    def token(self, request: Request) -> Reply:
        """POST /2/oauth2/token, grant_type=refresh_token (form-encoded, a public client's client_id)."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "refresh_token" or form.get("client_id") not in self.client_ids:
            return Reply(
                400,
                {"error": "invalid_request", "error_description": "Missing required parameter [client_id]."},
            )
        if form.get("refresh_token") not in self.refresh_tokens:
            return Reply(
                400,
                {"error": "invalid_request", "error_description": "Value passed for the token was invalid."},
            )
        self.refresh_tokens.discard(form["refresh_token"])
        return Reply(200, self.issue())

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
        at = time.time()
        eid = self.new_id(at)
        self.times[eid] = at
        conversation = "-".join(sorted((ME["id"], uid)))
        event = {
            "id": eid,
            "event_type": "MessageCreate",
            "text": request.json()["text"],
            "sender_id": ME["id"],
            "dm_conversation_id": conversation,
            "created_at": self._now(),
        }
        self.dms.append(event)
        self.serve_dm(event)
        return Reply(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event["id"]}})

    def conversation_events(self, request: Request, uid: str) -> Reply:
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

    # -- serving -----------------------------------------------------------------------------------

    def shown(self, tweet: dict[str, Any], request: Request) -> dict[str, Any]:
        """The post with only the fields asked for, as X serves it."""
        asked = set(DEFAULT_TWEET_FIELDS) | set((request.arg("tweet.fields") or "").split(","))
        return {k: v for k, v in tweet.items() if k in asked}

    def page_of(
        self,
        request: Request,
        items: list[dict[str, Any]],
        token_param: str,
        low: int,
        fields: Any = None,
        users_of: str = "author_id",
    ) -> Reply:
        """One page, newest first, of `items` after since_id/start_time, continuing at the token."""
        raw_max = request.arg("max_results", "10") or "10"
        if not raw_max.isdigit() or not low <= int(raw_max) <= 100:
            return invalid(
                "max_results",
                raw_max,
                f"The `max_results` query parameter value [{raw_max}] is not between {low} and 100",
            )
        since, start = request.arg("since_id"), request.arg("start_time")
        newest_first = sorted(items, key=lambda t: int(t["id"]), reverse=True)
        if since:
            newest_first = [t for t in newest_first if int(t["id"]) > int(since)]
        elif start:
            begin = datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp()
            newest_first = [t for t in newest_first if self.times[t["id"]] >= begin]
        token = request.arg(token_param)
        if token:
            before = int(token.removeprefix("t1").removesuffix("zz"), 36)
            newest_first = [t for t in newest_first if int(t["id"]) < before]
        chunk = newest_first[: min(int(raw_max), self.page)]
        if not chunk:
            return Reply(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "newest_id": chunk[0]["id"],
            "oldest_id": chunk[-1]["id"],
            "result_count": len(chunk),
        }
        if len(chunk) < len(newest_first):
            meta["next_token"] = "t1" + _base36(int(chunk[-1]["id"])) + "zz"
        data = [(fields or self.shown)(t, request) for t in chunk]
        body: dict[str, Any] = {"data": data, "meta": meta}
        expansions = (request.arg("expansions") or "").split(",")
        if users_of in expansions:
            ids = dict.fromkeys(str(t.get(users_of, "0")) for t in chunk)
            body["includes"] = {"users": [self.user(u) for u in ids]}
        if "attachments.media_keys" in expansions:
            asked = {"media_key", "type"} | set((request.arg("media.fields") or "").split(","))
            keys = [k for t in chunk for k in (t.get("attachments") or {}).get("media_keys", [])]
            if keys:
                shown = [{f: v for f, v in self.media[k].items() if f in asked} for k in keys]
                body.setdefault("includes", {})["media"] = shown
        return Reply(200, body)

    def lookup(self, request: Request, tweet: dict[str, Any]) -> Reply:
        """GET /2/tweets/:id: that version of the post; a deleted one is a 200 with a problem."""
        if tweet["id"] in self.deleted:
            return not_found(tweet["id"])
        body: dict[str, Any] = {"data": self.shown(tweet, request)}
        if "author_id" in (request.arg("expansions") or "").split(","):
            body["includes"] = {"users": [self.user(str(tweet["author_id"]))]}
        return Reply(200, body)

    def dm_fields(self, event: dict[str, Any], request: Request) -> dict[str, Any]:
        asked = set(DEFAULT_DM_FIELDS) | set((request.arg("dm_event.fields") or "").split(","))
        return {k: v for k, v in event.items() if k in asked}

    def dm_lookup(self, request: Request, event: dict[str, Any]) -> Reply:
        if not self.dm_read:
            return Reply(403, FORBIDDEN)
        body: dict[str, Any] = {"data": self.dm_fields(event, request)}
        if "sender_id" in (request.arg("expansions") or "").split(","):
            body["includes"] = {"users": [self.user(str(event["sender_id"]))]}
        return Reply(200, body)

    def conversation_page(self, request: Request, conversation: str) -> Reply:
        if not self.dm_read:
            return Reply(403, FORBIDDEN)
        events = [e for e in self.dms if e["dm_conversation_id"] == conversation]
        if not request.arg("max_results"):
            request.query["max_results"] = ["100"]
        return self.page_of(
            request, events, "pagination_token", 1, fields=self.dm_fields, users_of="sender_id"
        )

    def current(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [t for t in items if t["id"] not in self.superseded]

    def mentions_timeline(self, request: Request) -> Reply:
        held = sorted(self.current(self.mentions), key=lambda t: int(t["id"]))[-MENTIONS_HELD:]
        return self.page_of(request, held, "pagination_token", 5)

    def user_tweets(self, request: Request) -> Reply:
        return self.page_of(request, self.mine, "pagination_token", 5)

    def search_recent(self, request: Request) -> Reply:
        floor = time.time() - SEARCH_WINDOW
        since, start = request.arg("since_id"), request.arg("start_time")
        if since and since.isdigit() and snowflake_time(since) < floor:
            return invalid(
                "since_id",
                since,
                f"'since_id' must be a tweet id created after {minute(floor + 60)}. "
                f"Please use a 'since_id' that is larger than {self.new_id(floor + 60)}",
            )
        if start and datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp() < floor - 1:
            shown = minute(datetime.fromisoformat(start.replace("Z", "+00:00")).timestamp())
            return invalid(
                "start_time",
                start,
                f"Invalid 'start_time':'{shown}'. 'start_time' must be on or after {minute(floor + 60)}",
            )
        query = request.arg("query") or ""
        if query.startswith("conversation_id:"):
            cid = query.split(":", 1)[1]
            items = [t for t in self.mentions + self.mine if t["conversation_id"] == cid and t["id"] != cid]
        else:
            items = self.search
        recent = [t for t in self.current(items) if self.times.get(t["id"], time.time()) >= floor]
        return self.page_of(request, recent, "next_token", 10)

    def dm_events(self, request: Request) -> Reply:
        if not self.dm_read:
            return Reply(403, FORBIDDEN)
        if not request.arg("max_results"):
            request.query["max_results"] = ["100"]
        return self.page_of(
            request, self.dms, "pagination_token", 1, fields=self.dm_fields, users_of="sender_id"
        )

    def relate(self, request: Request, edge: str) -> Reply:
        """POST /2/users/:id/muting|blocking {"target_user_id"}: {"data": {edge: true}}."""
        if edge == "blocking" and not self.enterprise:
            return Reply(403, NOT_ENROLLED)
        target = str((request.json() or {}).get("target_user_id") or "")
        if not target.isdigit():
            return invalid(
                "target_user_id",
                target,
                f"The `target_user_id` query parameter value [{target}] is not valid",
            )
        (self.muted if edge == "muting" else self.blocked).add(target)
        return Reply(200, {"data": {edge: True}})

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
        at = time.time()
        tid = self.new_id(at)
        self.times[tid] = at
        tweet = {
            "id": tid,
            "text": body["text"],
            "author_id": ME["id"],
            "edit_history_tweet_ids": [tid],
            "referenced_tweets": [{"type": "replied_to", "id": parent}] if parent else [],
        }
        self.mine.append({**tweet, "created_at": iso(at), "conversation_id": parent or tweet["id"]})
        return Reply(201, {"data": {"id": tid, "text": tweet["text"], "edit_history_tweet_ids": [tid]}})


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"
