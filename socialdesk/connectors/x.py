"""X (API v2) connector: mentions timeline, search monitoring, conversations, replies and DMs.

Uses an OAuth 2.0 user-context access token. Reading (mentions, DMs, searches, each with its own
cursor and error, paged back to the cursor or the backfill horizon) is in `x_fetch`; turning X's
objects into posts (long posts, edits, DM events) in `x_posts`.

X has no idempotency key: before any retry the outbox calls `find_sent`, which looks through
everything the account posted (or sent in the DM conversation) since the first attempt, for the
same text (`x_sent`); when it cannot see back that far it says so (CannotTell) and the agent decides.

X answers 403 for things that are about one reply, not the account: duplicate content, a reply to
a deleted post, a refused DM, a reply the app may not make. Those refuse that reply with X's own
message; only 401, or a 403 about the token or the app's access, means the account needs auth.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from socialdesk.connectors import x_sent
from socialdesk.connectors.base import (
    BACKFILL_OPTION,
    AuthError,
    CannotTell,
    Capabilities,
    Connector,
    ConnectorError,
    FetchResult,
    OutgoingReply,
    PermanentError,
    Post,
    PostGone,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.connectors.http import (
    Api,
    Query,
    QueryValue,
    dump_cursor,
    id_key,
    load_cursor,
    make_client,
    x_reset,
)
from socialdesk.connectors.x_fetch import SEARCH_MIN_RESULTS, Stream, XFetch, dm_thread
from socialdesk.connectors.x_moderation import XModeration
from socialdesk.connectors.x_posts import (
    TWEET_FIELDS,
    USER_FIELDS,
    edit_chain,
    is_superseded,
    tweet_post,
    users_by_id,
)
from socialdesk.connectors.x_tokens import SessionStore, TokenKeeper
from socialdesk.models import Author
from socialdesk.secrets import redact, remember

if TYPE_CHECKING:
    import httpx

THREAD_PAGES = 10  # a conversation search reads at most this many pages (1,000 posts)
T = TypeVar("T")
# 403 problem types (X's `type` URIs) and words that mean the token or the app, not the reply.
_AUTH_PROBLEMS = ("unsupported-authentication", "client-forbidden", "oauth1-permissions")
_AUTH_WORDS = re.compile(r"\b(token|authenticat\w*|credentials?)\b.*\b(invalid|expired|revoked)\b", re.I)


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


def _not_found(data: dict[str, Any], native_id: str) -> bool:
    """X answers a lookup of a deleted post with 200 and a resource-not-found problem."""
    return any(
        isinstance(e, dict)
        and str(e.get("type") or "").endswith("/resource-not-found")
        and str(e.get("resource_id") or e.get("value") or "") == native_id
        for e in data.get("errors") or []
    )


class XConnector(XModeration, Connector):
    """X (formerly Twitter) through API v2 with a user-context token."""

    name = "x"
    display_name = "X"
    glyph = "X"
    capabilities = Capabilities(
        max_length=280,
        counting="x-weighted",
        can_reply=True,
        can_dm=True,
        monitoring=frozenset({"mentions", "dm", "search"}),
        reply_mentions=True,
    )
    keeps_session = True
    options = {
        "base_url": (str, "API address (default https://api.x.com)"),
        "user_id": (str, "Your numeric user id (default: looked up with /2/users/me)"),
        "search_terms": (list[str], "Recent-search queries to monitor (X search syntax)"),
        "page_size": (int, "Posts per request, 5 to 100 (default 100; searches ask for at least 10)"),
        "direct_messages": (bool, "Read the account's direct messages (default true; needs dm.read)"),
        **BACKFILL_OPTION,
        "client_id": (str, "Your app's OAuth 2.0 client id: needed to refresh the access token"),
        "self_serve": (
            bool,
            "A self-serve app: X lets it reply only to authors who mentioned or quoted it; search hits "
            "from others are marked no-reply (default true)",
        ),
    }
    secret_label = "OAuth 2.0 user token (the token JSON with refresh_token)"

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(account, settings, remember(secret), http)
        base = str(self.settings.get("base_url") or "https://api.x.com").rstrip("/")
        self.page_size = max(5, min(100, self.int_option("page_size", 100) or 100))
        self.http = http if http is not None else make_client(base)
        self.api = Api(self.http, "X", x_reset, secrets=[self.secret])
        self.clock: Callable[[], float] = time.time
        self.tokens = TokenKeeper(
            account,
            str(self.secret or ""),
            str(self.settings.get("client_id") or ""),
            self.http,
            lambda: self.clock(),
        )
        self._me: dict[str, Any] | None = (
            {"id": str(self.settings["user_id"])} if self.settings.get("user_id") else None
        )

    @property
    def session_store(self) -> SessionStore | None:
        """Where the rotated token pair is kept (the accounts service sets it: the secret store)."""
        return self.tokens.store

    @session_store.setter
    def session_store(self, store: SessionStore | None) -> None:
        self.tokens.store = store

    def _auth(self) -> dict[str, str]:
        if not self.secret:
            raise AuthError(f"X account {self.account!r} has no access token: run `socialdesk accounts add`")
        access = self.tokens.access()
        self.api.secrets += [v for v in self.tokens.secrets() if v not in self.api.secrets]
        return {"Authorization": f"Bearer {access}"}

    def _authorized(self, call: Callable[[dict[str, str]], T]) -> T:
        """Make a call with the access token; on a 401, refresh once and try again.

        A 401 means X did not accept the request, so repeating it (even a POST) cannot duplicate.
        """
        try:
            return call(self._auth())
        except AuthError:
            last = self.api.last_response
            if last is None or last.status_code != 401 or not self.tokens.can_refresh:
                raise
            self.tokens.refresh(force=True)
            return call(self._auth())

    def _get(self, path: str, params: Query | None = None) -> Any:
        data = self._authorized(lambda headers: self.api.get_json(path, params=params, headers=headers))
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

    def own_author(self) -> Author | None:
        """Our account from /2/users/me (or the configured user_id)."""
        if self._me is None:
            return None
        username = str(self._me.get("username") or "")
        return Author(
            native_id=str(self._me["id"]),
            handle=username,
            display_name=str(self._me.get("name") or ""),
            url=f"https://x.com/{username}" if username else "",
        )

    def _post(self, tweet: dict[str, Any], users: dict[str, dict[str, Any]], kind: str) -> Post:
        """A Post from a post object and the page's includes.users (raises on a bad shape)."""
        return tweet_post(tweet, users, kind, self._me_id(), self.account)

    def _streams(self) -> list[Stream]:
        me = quote(self._me_id())
        streams = [Stream("m", f"/2/users/{me}/mentions", "mention")]
        if self.settings.get("direct_messages", True):
            streams.append(Stream("d", "/2/dm_events", "dm"))
        for term in self.list_option("search_terms"):
            streams.append(Stream(f"s:{term}", "/2/tweets/search/recent", "search", term))
        return streams

    def fetch(self, cursor: str | None) -> FetchResult:
        """One page of each stream (mentions, DMs, each search) with its own cursor and error."""
        fetcher = XFetch(
            self._get,
            self._me_id(),
            self.account,
            self.page_size,
            self.backfill_horizon(),
            self._streams(),
            lambda: self.api.last_response.content if self.api.last_response is not None else b"",
        )
        fetcher.limited_replies = bool(self.settings.get("self_serve", True))
        result, state = fetcher.run(load_cursor(cursor))
        result.cursor = dump_cursor(state)
        return result

    def fetch_thread(self, native_id: str) -> list[Post]:
        """The conversation: its root and the recent posts searched by conversation_id (7 days)."""
        self._me_id()
        params = {"tweet.fields": TWEET_FIELDS, "expansions": "author_id", "user.fields": USER_FIELDS}
        data = self._get(f"/2/tweets/{quote(native_id)}", params)
        tweet = data.get("data") or {}
        if not tweet and _not_found(data, native_id):
            # Not a post (any more): a direct message's thread is its DM conversation.
            messages = dm_thread(self._get, native_id, self._me_id(), self.account, THREAD_PAGES)
            if messages is None:
                raise PostGone(native_id, f"X: post {native_id} no longer exists")
            return messages
        if isinstance(tweet, dict) and tweet.get("id") and is_superseded(tweet):
            data = self._get(f"/2/tweets/{quote(edit_chain(tweet)[-1])}", params)  # its newest version
            tweet = data.get("data") or {}
        users = users_by_id(data)
        conversation = str(tweet.get("conversation_id") or native_id)
        chain = edit_chain(tweet) if tweet.get("id") else [native_id]
        posts: list[Post] = []
        if conversation not in (native_id, *chain):  # the root is another post: read it too
            root = self._get(f"/2/tweets/{quote(conversation)}", params)
            users.update(users_by_id(root))
            if isinstance(root.get("data"), dict):
                posts.append(self._post(root["data"], users, "reply"))
        query: dict[str, QueryValue] = {
            **params,
            "query": f"conversation_id:{conversation}",
            "max_results": max(SEARCH_MIN_RESULTS, self.page_size),
        }
        for _ in range(THREAD_PAGES):
            page = self._get("/2/tweets/search/recent", query)
            page_users = users_by_id(page)
            for item in page.get("data") or []:
                if isinstance(item, dict) and not is_superseded(item):
                    posts.append(self._post(item, page_users, "reply"))
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
            query["next_token"] = token
        if tweet:
            posts.append(self._post(tweet, users, "reply"))
        unique = {p.native_id: p for p in posts}
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
        return SendResult(native_id=str(created["id"]), url=x_sent.post_url(str(created["id"])))

    def refusal(self, reply: OutgoingReply) -> str | None:
        """A post X no longer has cannot be answered (one lookup, before the review)."""
        if reply.dm or not reply.in_reply_to:
            return super().refusal(reply)
        data = self._get(f"/2/tweets/{quote(reply.in_reply_to)}", {"tweet.fields": "id"})
        if not data.get("data") and _not_found(data, reply.in_reply_to):
            return "the post being answered no longer exists on X"
        return None

    def _create(self, path: str, body: dict[str, Any]) -> Any:
        """POST something X creates; a 403 about this reply refuses it, one about the token needs auth."""
        response = self._authorized(
            lambda headers: self.api.request("POST", path, json_body=body, headers=headers, ok=(403,))
        )
        if response.status_code == 403:
            raise self._forbidden(response.content)
        return self.api.json(response)

    def _forbidden(self, content: bytes) -> ConnectorError:
        message = redact(x_message(content) or "Forbidden", self.api.secrets)
        if forbidden_means_auth(content):
            return AuthError(f"X: needs auth (403 {message})")
        return PermanentError(f"X refused it: {message}")

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Our posts (or DM events) since the first attempt with the same text (see `x_sent`).

        Raises:
            CannotTell: X cannot show everything since the attempt (too many pages, no dm.read).
        """
        return x_sent.find_sent(self._read_page, self._me_id(), reply)

    def _read_page(self, path: str, query: Query) -> dict[str, Any]:
        """One page of a list of ours. A 403 (e.g. a token without dm.read) proves nothing: CannotTell."""
        response = self._authorized(
            lambda headers: self.api.request("GET", path, params=query, headers=headers, ok=(403,))
        )
        if response.status_code == 403:
            error = self._forbidden(response.content)
            if isinstance(error, AuthError):
                raise error
            raise CannotTell(f"X: cannot look the reply up ({error})")
        data = self.api.json(response)
        if not isinstance(data, dict):
            raise TransientError(f"X: {path} answered with an unexpected shape")
        return data

    def verify(self) -> str:
        """Check the token with /2/users/me."""
        self._me = None
        self._me_id()
        me: dict[str, Any] = self._me or {}
        return f"@{me.get('username', '?')} ({me.get('name', '')}, id {me.get('id')})"
