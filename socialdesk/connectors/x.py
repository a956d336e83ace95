"""X (API v2) connector: mentions timeline, search monitoring, conversations, replies and DMs.

Uses an OAuth 2.0 user-context access token. Streams resume with `since_id` (the `meta.newest_id`
of the last sync) and page back with `meta.next_token` until they reach it. The cursor is JSON:
{"m": mentions since_id, "s": {term: since_id}}.

X has no idempotency key: before any retry the outbox calls `find_sent`, which looks through the
account's recent posts for the same text answering the same post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from socialdesk.connectors.base import (
    AuthError,
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    PermanentError,
    Post,
    Quarantined,
    SendResult,
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
from socialdesk.secrets import remember

TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang,author_id,entities"
USER_FIELDS = "username,name,public_metrics"
MAX_PAGES = 5


def _norm(text: str) -> str:
    # X rewrites links to t.co and may prefix reply mentions: compare what is left.
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"^(@\w+\s+)+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


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
            data = self.api.post_json(
                f"/2/dm_conversations/with/{quote(reply.to_native_id)}/messages",
                {"text": reply.text},
                headers=self._auth(),
            )
            event = (data or {}).get("data") or {}
            return SendResult(native_id=str(event.get("dm_event_id") or ""), url="")
        body: dict[str, Any] = {"text": reply.text}
        if reply.in_reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply.in_reply_to}
        data = self.api.post_json("/2/tweets", body, headers=self._auth())
        created = (data or {}).get("data") if isinstance(data, dict) else None
        if not isinstance(created, dict) or not created.get("id"):
            raise TransientError("X: the post was accepted but no id came back")
        return SendResult(native_id=str(created["id"]), url=f"https://x.com/i/web/status/{created['id']}")

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Our recent posts: one answering the same post with the same text means it was sent."""
        if reply.dm:
            return None  # DMs cannot be reconciled; the outbox marks them for the agent to check
        me = self._me_id()
        data = self._get(
            f"/2/users/{quote(me)}/tweets",
            {"max_results": 20, "tweet.fields": "referenced_tweets,created_at", "exclude": "retweets"},
        )
        wanted = _norm(reply.text)
        for tweet in data.get("data") or []:
            parents = {
                str(r.get("id"))
                for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "replied_to"
            }
            if reply.in_reply_to and reply.in_reply_to not in parents:
                continue
            if _norm(str(tweet.get("text") or "")) == wanted:
                return SendResult(native_id=str(tweet["id"]), url=f"https://x.com/i/web/status/{tweet['id']}")
        return None

    def verify(self) -> str:
        """Check the token with /2/users/me."""
        self._me = None
        self._me_id()
        me: dict[str, Any] = self._me or {}
        return f"@{me.get('username', '?')} ({me.get('name', '')}, id {me.get('id')})"
