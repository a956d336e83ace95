"""X (API v2) connector: mentions timeline, search monitoring, conversations, replies and DMs.

Uses an OAuth 2.0 user-context access token. Streams resume with `since_id` (the `meta.newest_id`
of the last sync) and page back with `meta.next_token` until they reach it. The cursor is JSON:
{"m": mentions since_id, "s": {term: since_id}}.

X has no idempotency key: before any retry the outbox calls `find_sent`, which looks through
everything the account posted (or sent in the DM conversation) since the first attempt, for the
same text; when it cannot see back that far it says so (CannotTell) and the agent decides.

X answers 403 for things that are about one reply, not the account: duplicate content, a reply to
a deleted post, a refused DM, a reply the app may not make. Those refuse that reply with X's own
message; only 401, or a 403 about the token or the app's access, means the account needs auth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from socialdesk.connectors.base import (
    AuthError,
    CannotTell,
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    OutgoingReply,
    PermanentError,
    Post,
    Quarantined,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.connectors.http import (
    Api,
    dump_cursor,
    id_key,
    load_cursor,
    make_client,
    parse_time,
    raw_text,
    x_reset,
)
from socialdesk.models import Author
from socialdesk.secrets import redact, remember

TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang,author_id,entities"
USER_FIELDS = "username,name,public_metrics"
MAX_PAGES = 5
CLOCK_SLACK = 120.0  # seconds our clock and X's may differ when comparing a post's time to an attempt's
# 403 problem types (X's `type` URIs) and words that mean the token or the app, not the reply.
_AUTH_PROBLEMS = ("unsupported-authentication", "client-forbidden", "oauth1-permissions")
_AUTH_WORDS = re.compile(r"\b(token|authenticat\w*|credentials?)\b.*\b(invalid|expired|revoked)\b", re.I)


def _norm(text: str) -> str:
    # X rewrites links to t.co and may prefix reply mentions: compare what is left.
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"^(@\w+\s+)+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(item: dict[str, Any]) -> float:
    try:
        return parse_time(item.get("created_at"))
    except ValueError:
        return float("inf")  # no usable time: treat as recent, never as proof of having looked far enough


def x_message(content: bytes) -> str:
    """X's own words for a refusal: `detail`, else `errors[0].message`, else `title`."""
    try:
        data = json.loads(content)
    except ValueError:
        return content[:200].decode("utf-8", "replace").strip()
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    for value in (data.get("detail"), first.get("message"), first.get("detail"), data.get("title")):
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
    return ""


def forbidden_means_auth(content: bytes) -> bool:
    """Whether a 403 is about the token or the app's access (needs auth) rather than this one request."""
    try:
        data = json.loads(content)
    except ValueError:
        data = {}
    kind = str(data.get("type") or "") if isinstance(data, dict) else ""
    reason = str(data.get("reason") or "") if isinstance(data, dict) else ""
    if any(kind.endswith(p) for p in _AUTH_PROBLEMS) or reason == "client-not-enrolled":
        return True
    return bool(_AUTH_WORDS.search(x_message(content)))


class XConnector(Connector):
    """X (formerly Twitter) through API v2 with a user-context token."""

    name = "x"
    display_name = "X"
    glyph = "X"
    capabilities = Capabilities(
        max_length=280,
        counting="x-weighted",
        can_reply=True,
        can_dm=True,
        monitoring=frozenset({"mentions", "search"}),
    )
    options = {
        "base_url": (str, "API address (default https://api.x.com)"),
        "user_id": (str, "Your numeric user id (default: looked up with /2/users/me)"),
        "search_terms": (list[str], "Recent-search queries to monitor (X search syntax)"),
        "page_size": (int, "Posts per request, 5 to 100 (default 100)"),
    }
    secret_label = "OAuth 2.0 user access token"

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, Any] | None = None,
        secret: str | None = None,
        http: Any = None,
    ) -> None:
        super().__init__(account, settings, remember(secret), http)
        base = str(self.settings.get("base_url") or "https://api.x.com").rstrip("/")
        self.page_size = max(5, min(100, int(self.settings.get("page_size") or 100)))
        self.http = http if http is not None else make_client(base)
        self.api = Api(self.http, "X", x_reset, secrets=[self.secret])
        self._me: dict[str, Any] | None = (
            {"id": str(self.settings["user_id"])} if self.settings.get("user_id") else None
        )

    def _auth(self) -> dict[str, str]:
        if not self.secret:
            raise AuthError(f"X account {self.account!r} has no access token: run `socialdesk accounts add`")
        return {"Authorization": f"Bearer {self.secret}"}

    def _get(self, path: str, params: Any = None) -> Any:
        data = self.api.get_json(path, params=params, headers=self._auth())
        if not isinstance(data, dict):
            raise TransientError(f"X: {path} answered with an unexpected shape")
        return data

    def _me_id(self) -> str:
        if self._me is None:
            data = self._get("/2/users/me", {"user.fields": USER_FIELDS})
            me = data.get("data")
            if not isinstance(me, dict) or not me.get("id"):
                raise TransientError("X: /2/users/me answered without a user")
            self._me = me
        return str(self._me["id"])

    def _post(self, tweet: dict[str, Any], users: dict[str, dict[str, Any]], kind: str) -> Post:
        """A Post from a tweet object and the page's includes.users (raises on a bad shape)."""
        native_id = str(tweet["id"])
        author_id = str(tweet["author_id"])
        user = users.get(author_id) or {"id": author_id, "username": author_id, "name": ""}
        parent = next(
            (str(r["id"]) for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"),
            None,
        )
        me = self._me_id()
        is_ours = author_id == me
        if kind == "mention" and str(tweet.get("in_reply_to_user_id") or "") == me:
            kind = "reply"
        username = str(user.get("username") or author_id)
        return Post(
            network=self.name,
            native_id=native_id,
            author=Author(
                native_id=author_id,
                handle="@" + username,
                display_name=str(user.get("name") or ""),
                followers=int((user.get("public_metrics") or {}).get("followers_count") or 0),
                url=f"https://x.com/{username}",
            ),
            text=self._expand_links(str(tweet["text"]), tweet.get("entities")),
            created_at=parse_time(tweet["created_at"]),
            account=self.account,
            url=f"https://x.com/{username}/status/{native_id}",
            in_reply_to=parent,
            conversation_id=str(tweet.get("conversation_id") or native_id),
            kind="own" if is_ours else kind,
            lang=str(tweet.get("lang") or ""),
            is_ours=is_ours,
            raw={**tweet, "author": user},
        )

    @staticmethod
    def _expand_links(text: str, entities: Any) -> str:
        """Replace t.co links with where they lead (display_url), so the real host shows."""
        urls = (entities or {}).get("urls") if isinstance(entities, dict) else None
        for entry in urls or []:
            if (
                isinstance(entry, dict)
                and entry.get("url")
                and (entry.get("expanded_url") or entry.get("display_url"))
            ):
                text = text.replace(str(entry["url"]), str(entry.get("expanded_url") or entry["display_url"]))
        return text

    def _walk(
        self,
        path: str,
        params: dict[str, Any],
        since_id: str | None,
        kind: str,
        result: FetchResult,
        all_pages: bool = False,
    ) -> str | None:
        """Read a timeline newer than since_id (all pages, bounded); return the new newest id."""
        newest = since_id
        token = None
        for _ in range(MAX_PAGES):
            query = {
                **params,
                "max_results": self.page_size,
                "tweet.fields": TWEET_FIELDS,
                "expansions": "author_id",
                "user.fields": USER_FIELDS,
            }
            if since_id:
                query["since_id"] = since_id
            if token:
                query["pagination_token" if "/users/" in path else "next_token"] = token
            data = self._get(path, query)
            meta = data.get("meta") or {}
            users = {
                str(u.get("id")): u
                for u in (data.get("includes") or {}).get("users") or []
                if isinstance(u, dict)
            }
            for tweet in data.get("data") or []:
                try:
                    result.posts.append(self._post(tweet, users, kind))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    result.quarantined.append(Quarantined(f"x {kind}: {exc!r}", raw_text(tweet)))
            if meta.get("newest_id") and (newest is None or id_key(str(meta["newest_id"])) > id_key(newest)):
                newest = str(meta["newest_id"])
            token = meta.get("next_token")
            if not (since_id or all_pages) or not token:  # first sync: the newest page only
                break
        return newest

    def fetch(self, cursor: str | None) -> FetchResult:
        """Mentions since the last sync, then each search query."""
        state = load_cursor(cursor)
        me = self._me_id()
        result = FetchResult(posts=[], cursor=None)
        state["m"] = self._walk(f"/2/users/{quote(me)}/mentions", {}, state.get("m"), "mention", result)
        searches = state.setdefault("s", {})
        for term in self.settings.get("search_terms") or []:
            searches[str(term)] = self._walk(
                "/2/tweets/search/recent",
                {"query": f"{term} -is:retweet"},
                searches.get(str(term)),
                "search",
                result,
            )
        result.cursor = dump_cursor(state)
        return result

    def fetch_thread(self, native_id: str) -> list[Post]:
        """The conversation: its root and the recent posts searched by conversation_id (7 days)."""
        self._me_id()
        params = {"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}
        data = self._get(f"/2/tweets/{quote(native_id)}", params)
        tweet = data.get("data") or {}
        conversation = str(tweet.get("conversation_id") or native_id)
        result = FetchResult(posts=[], cursor=None)
        users = {str(u.get("id")): u for u in (data.get("includes") or {}).get("users") or []}
        if conversation != native_id:
            root = self._get(f"/2/tweets/{quote(conversation)}", params)
            users.update({str(u.get("id")): u for u in (root.get("includes") or {}).get("users") or []})
            if isinstance(root.get("data"), dict):
                result.posts.append(self._post(root["data"], users, "reply"))
        self._walk(
            "/2/tweets/search/recent",
            {"query": f"conversation_id:{conversation}"},
            None,
            "reply",
            result,
            all_pages=True,
        )
        if tweet:
            result.posts.append(self._post(tweet, users, "reply"))
        unique = {p.native_id: p for p in result.posts}
        return sorted(unique.values(), key=lambda p: (p.created_at, id_key(p.native_id)))

    def send(self, reply: OutgoingReply) -> SendResult:
        """POST /2/tweets (reply.in_reply_to_tweet_id) or a DM; never retried here (no idempotency)."""
        if reply.dm:
            if not reply.to_native_id:
                raise PermanentError("X: a direct message needs the recipient's user id")
            data = self._create(
                f"/2/dm_conversations/with/{quote(reply.to_native_id)}/messages", {"text": reply.text}
            )
            event = (data or {}).get("data") if isinstance(data, dict) else None
            if not isinstance(event, dict) or not event.get("dm_event_id"):
                raise SendUncertain("X: the direct message was accepted but no event id came back")
            return SendResult(native_id=str(event["dm_event_id"]), url="")
        body: dict[str, Any] = {"text": reply.text}
        if reply.in_reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply.in_reply_to}
        data = self._create("/2/tweets", body)
        created = (data or {}).get("data") if isinstance(data, dict) else None
        if not isinstance(created, dict) or not created.get("id"):
            raise TransientError("X: the post was accepted but no id came back")
        return SendResult(native_id=str(created["id"]), url=f"https://x.com/i/web/status/{created['id']}")

    def _create(self, path: str, body: dict[str, Any]) -> Any:
        """POST something X creates; a 403 about this reply refuses it, one about the token needs auth."""
        response = self.api.request("POST", path, json_body=body, headers=self._auth(), ok=(403,))
        if response.status_code == 403:
            raise self._forbidden(response.content)
        return self.api.json(response)

    def _forbidden(self, content: bytes) -> ConnectorError:
        message = redact(x_message(content) or "Forbidden", self.api.secrets)
        if forbidden_means_auth(content):
            return AuthError(f"X: needs auth (403 {message})")
        return PermanentError(f"X refused it: {message}")

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Our posts (or DM events) since the first attempt: the same text to the same place means sent.

        Raises:
            CannotTell: X cannot show everything since the attempt (too many pages, no dm.read).
        """
        since = reply.first_attempt_at - CLOCK_SLACK if reply.first_attempt_at is not None else None
        if reply.dm:
            return self._find_dm(reply, since)
        me = self._me_id()
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": "referenced_tweets,created_at",
            "exclude": "retweets",
        }
        if since is not None:
            params["start_time"] = _iso(since)
        wanted = _norm(reply.text)
        for page in self._pages(f"/2/users/{quote(me)}/tweets", params):
            for tweet in page:
                parents = {
                    str(r.get("id"))
                    for r in tweet.get("referenced_tweets") or []
                    if r.get("type") == "replied_to"
                }
                if reply.in_reply_to and reply.in_reply_to not in parents:
                    continue
                if _norm(str(tweet.get("text") or "")) == wanted:
                    return SendResult(
                        native_id=str(tweet["id"]), url=f"https://x.com/i/web/status/{tweet['id']}"
                    )
        return None

    def _find_dm(self, reply: OutgoingReply, since: float | None) -> SendResult | None:
        """Our message in the conversation with the recipient, sent after the first attempt."""
        if not reply.to_native_id:
            raise CannotTell("X: no recipient to look the direct message up with")
        me = self._me_id()
        wanted = _norm(reply.text)
        params = {
            "dm_event.fields": "id,text,sender_id,created_at,event_type",
            "event_types": "MessageCreate",
            "max_results": 100,
        }
        path = f"/2/dm_conversations/with/{quote(reply.to_native_id)}/dm_events"
        for page in self._pages(path, params, older_than=since):
            for event in page:
                if str(event.get("sender_id")) != me or _norm(str(event.get("text") or "")) != wanted:
                    continue
                if since is None or _time(event) >= since:
                    return SendResult(native_id=str(event["id"]), url="")
        return None

    def _pages(
        self, path: str, params: dict[str, Any], older_than: float | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Newest-first pages until the list ends (or reaches `older_than`); CannotTell past MAX_PAGES.

        A 403 (e.g. a token without dm.read) is CannotTell too: it proves nothing either way.
        """
        token = None
        for _ in range(MAX_PAGES):
            query = {**params, **({"pagination_token": token} if token else {})}
            response = self.api.request("GET", path, params=query, headers=self._auth(), ok=(403,))
            if response.status_code == 403:
                error = self._forbidden(response.content)
                if isinstance(error, AuthError):
                    raise error
                raise CannotTell(f"X: cannot look the reply up ({error})")
            data = self.api.json(response)
            if not isinstance(data, dict):
                raise TransientError(f"X: {path} answered with an unexpected shape")
            page = [i for i in data.get("data") or [] if isinstance(i, dict)]
            yield page
            token = (data.get("meta") or {}).get("next_token")
            if not token or (older_than is not None and any(_time(i) < older_than for i in page)):
                return
        raise CannotTell(f"X: more posts since the attempt than {MAX_PAGES} pages show")

    def verify(self) -> str:
        """Check the token with /2/users/me."""
        self._me = None
        self._me_id()
        me: dict[str, Any] = self._me or {}
        return f"@{me.get('username', '?')} ({me.get('name', '')}, id {me.get('id')})"
