"""Mastodon connector: mentions and direct messages, hashtag and search monitoring, threads, replies.

Works with any server speaking the Mastodon client API. A first sync reads each inbound stream back
to the backfill horizon; later syncs page forward with `min_id` and the `Link` header's `prev` URL, so
a sync resumes exactly where the last one stopped (see `mastodon_paging`). Status ids are opaque
strings (numbers on Mastodon, ULIDs on some other servers).

The cursor is JSON: {"n": notifications min_id, "t": {hashtag: min_id}, "s": {term: min_id},
"b": {stream: max_id of a backfill under way}, "h": the backfill horizon}.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from socialdesk import compose
from socialdesk.connectors import mastodon_paging as paging
from socialdesk.connectors.base import (
    BACKFILL_OPTION,
    AuthError,
    Capabilities,
    ConfigError,
    Connector,
    ConnectorError,
    FetchResult,
    Post,
    PostGone,
    Quarantined,
    RateLimited,
    ServerLimits,
    TransientError,
)
from socialdesk.connectors.html import html_to_text
from socialdesk.connectors.http import (
    Api,
    HttpError,
    Query,
    dump_cursor,
    load_cursor,
    make_client,
    mastodon_reset,
    parse_time,
    raw_text,
)
from socialdesk.connectors.mastodon_moderation import MastodonModeration
from socialdesk.connectors.mastodon_replies import MastodonReplies
from socialdesk.models import Author
from socialdesk.secrets import remember

_VISIBILITIES = ("public", "unlisted", "private")
# Notifications that bring a post to the desk: a mention (or DM), a quote of one of our posts
# (Mastodon 4.5), an edit of a post we boosted.
NOTIFICATION_TYPES = ("mention", "quote", "update")


class MastodonConnector(MastodonModeration, MastodonReplies, Connector):
    """Mastodon (and compatible servers) through the client REST API."""

    name = "mastodon"
    display_name = "Mastodon"
    glyph = "M"
    capabilities = Capabilities(
        max_length=500,
        counting="mastodon",
        can_reply=True,
        can_dm=True,
        monitoring=frozenset({"mentions", "dm", "hashtags", "search"}),
        reply_mentions=True,
    )
    options = {
        "base_url": (str, "Your server's address, e.g. https://mastodon.social"),
        "hashtags": (list[str], 'Hashtags to monitor, without the # (e.g. ["acme", "acmehelp"])'),
        "search_terms": (list[str], "Search terms to monitor (the server must offer full-text search)"),
        "visibility": (str, "Most public visibility of replies: public (default), unlisted or private"),
        "page_size": (int, "Items per request, 1 to 40 (default 40)"),
        **BACKFILL_OPTION,
    }
    secret_label = "access token"

    ROOT_LOOKUPS = 10  # context requests per fetch to find thread roots of replies
    LIMITS_EVERY = 3600.0  # seconds between two reads of the instance's limits by a running desk

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(account, settings, remember(secret), http)
        base = str(self.settings.get("base_url") or "").rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ConfigError(f"account {account!r}: base_url must be the server's https:// address")
        self.host = (urlsplit(base).hostname or "").lower()
        self.domain = (urlsplit(base).netloc or "").lower().rpartition("@")[2]  # host[:port]
        self.visibility = str(self.settings.get("visibility") or "public")
        if self.visibility not in _VISIBILITIES:
            raise ConfigError(f"account {account!r}: visibility must be one of {', '.join(_VISIBILITIES)}")
        self.page_size = max(1, min(40, self.int_option("page_size", 40) or 40))
        self.http = http if http is not None else make_client(base)
        self.api = Api(self.http, "Mastodon", mastodon_reset, secrets=[self.secret])
        self._me: dict[str, Any] | None = None
        self._max_chars: int | None = None
        self._instance: dict[str, Any] | None = None  # what /api/v2/instance said (None: not read yet)
        self._announced = False  # the instance announced its limits (else the defaults stand)
        self._url_weight = compose.URL_WEIGHT
        self._limits_read_at = 0.0
        self._roots: dict[str, str] = {}  # status id -> thread root id, learned while syncing

    # -- helpers ----------------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        if not self.secret:
            raise AuthError(
                f"Mastodon account {self.account!r} has no access token: run `socialdesk accounts add`"
            )
        return {"Authorization": f"Bearer {self.secret}"}

    def _get(self, path: str, params: Query | None = None) -> Any:
        return self.api.get_json(path, params=params, headers=self._auth())

    def _whoami(self) -> dict[str, Any]:
        if self._me is None:
            me = self._get("/api/v1/accounts/verify_credentials")
            if not isinstance(me, dict) or "id" not in me:
                raise TransientError("Mastodon: verify_credentials returned an unexpected shape")
            self._me = me
        return self._me

    def _read_instance(self) -> None:
        """Learn the server: its software and version, and its own character limit (v2, then v1)."""
        self._instance = {}
        self._limits_read_at = time.monotonic()
        for path in ("/api/v2/instance", "/api/v1/instance"):
            try:
                data = self.api.get_json(path)
            except RateLimited:
                raise
            except ConnectorError:
                continue
            if isinstance(data, dict) and not self._instance:
                self._instance = data
            statuses = (
                (data.get("configuration") or {}).get("statuses") or {} if isinstance(data, dict) else {}
            )
            value = statuses.get("max_characters") or (
                data.get("max_toot_chars") if isinstance(data, dict) else None
            )
            if isinstance(value, int) and value > 0:
                self._max_chars = value
                url = statuses.get("characters_reserved_per_url")
                self._url_weight = url if isinstance(url, int) and url > 0 else compose.URL_WEIGHT
                self._announced = True
                return
        self._max_chars = self.capabilities.max_length

    def limit(self) -> int:
        """The server's configured max_characters once read (by fetch or verify), else 500."""
        return self._max_chars or self.capabilities.max_length

    def server_limits(self) -> ServerLimits | None:
        """max_characters and characters_reserved_per_url as the instance announced them."""
        if not self._announced or not self._max_chars:
            return None
        return ServerLimits(self._max_chars, self._url_weight)

    def _handle(self, acct: str) -> str:
        """user@domain, bare (the desk adds the "@"); a local account gets our domain, port included,
        or a mention of it would reach no one."""
        return acct if "@" in acct else f"{acct}@{self.domain}"

    def _request(self, path: str, params: Query) -> httpx.Response:
        return self.api.request("GET", path, params=params, headers=self._auth())

    def _streams(self) -> list[paging.Stream]:
        """Notifications (mentions, quotes of our posts, edits of posts we boosted), then each
        hashtag and search term."""
        # Mastodon 4.3+ files private mentions from accounts we don't follow as filtered "requests"
        # by default, left out unless asked for: a customer's first DM. Servers that do not know the
        # parameter or a type ignore it.
        notifications = {"types[]": list(NOTIFICATION_TYPES), "include_filtered": "true"}
        streams = [paging.Stream("n", "", "/api/v1/notifications", notifications)]
        for tag in self.list_option("hashtags"):
            tag = tag.lstrip("#")
            streams.append(paging.Stream("t", tag, f"/api/v1/timelines/tag/{quote(tag, safe='')}", {}))
        for term in self.list_option("search_terms"):
            params = {"q": term, "type": "statuses"}
            streams.append(paging.Stream("s", str(term), "/api/v2/search", params, False, "statuses"))
        return streams

    def _root(self, status_id: str, parent: str | None, budget: list[int]) -> str:
        """The thread root of a status: known, looked up through its context, or the parent."""
        if not parent:
            return status_id
        if parent in self._roots:
            return self._roots[parent]
        if budget[0] > 0:
            budget[0] -= 1
            try:
                context = self._get(f"/api/v1/statuses/{quote(status_id, safe='')}/context")
                ancestors = context.get("ancestors") if isinstance(context, dict) else None
                if ancestors and isinstance(ancestors[0], dict) and ancestors[0].get("id"):
                    root = str(ancestors[0]["id"])
                    self._roots[parent] = root
                    return root
            except RateLimited:
                budget[0] = 0
            except (TransientError, HttpError):
                pass
        return parent

    def _post(self, status: dict[str, Any], kind: str, raw: Any, budget: list[int]) -> Post:
        """A Post from a Status entity (raises KeyError/TypeError/ValueError on a bad shape)."""
        account = status["account"]
        native_id = str(status["id"])
        if not native_id:
            raise ValueError("status without id")
        me_id = str((self._me or {}).get("id", ""))
        is_ours = str(account["id"]) == me_id
        text = html_to_text(str(status.get("content") or ""))
        for media in status.get("media_attachments") or []:
            text += f"\n[{media.get('type', 'media')}: {media.get('description') or media.get('url') or ''}]"
        text += self._quoted(status.get("quote"))
        parent = status.get("in_reply_to_id")
        parent = str(parent) if parent else None
        root = self._root(native_id, parent, budget)
        self._roots[native_id] = root
        if status.get("visibility") == "direct":
            kind = "dm"
        elif kind == "mention" and parent and str(status.get("in_reply_to_account_id")) == me_id:
            kind = "reply"
        return Post(
            network=self.name,
            native_id=native_id,
            author=Author(
                native_id=str(account["id"]),
                handle=self._handle(str(account["acct"])),
                display_name=str(account.get("display_name") or account.get("username") or ""),
                followers=int(account.get("followers_count") or 0),
                url=str(account.get("url") or ""),
            ),
            text=text.strip(),
            created_at=parse_time(status["created_at"]),
            account=self.account,
            url=str(status.get("url") or status.get("uri") or ""),
            in_reply_to=parent,
            conversation_id=root,
            kind="own" if is_ours else kind,
            lang=str(status.get("language") or ""),
            is_ours=is_ours,
            content_warning=str(status.get("spoiler_text") or ""),
            raw=raw,
            edited_at=parse_time(status["edited_at"]) if status.get("edited_at") else None,
            uri=str(status.get("uri") or ""),
        )

    def own_author(self) -> Author | None:
        """Our account from verify_credentials (its handle with our server's domain)."""
        if self._me is None:
            return None
        me = self._me
        return Author(
            native_id=str(me["id"]),
            handle=self._handle(str(me.get("acct") or me.get("username") or "")),
            display_name=str(me.get("display_name") or me.get("username") or ""),
            url=str(me.get("url") or ""),
        )

    def _quoted(self, quote_entity: Any) -> str:
        """The post a status quotes, as a line under its text (Mastodon 4.5 quote posts).

        `quote` is a Quote ({state, quoted_status}) or, nested, a ShallowQuote ({state,
        quoted_status_id}); a quote its author has not (or no longer) approved has no status.
        """
        if not isinstance(quote_entity, dict):
            return ""
        quoted = quote_entity.get("quoted_status")
        if isinstance(quoted, dict) and isinstance(quoted.get("account"), dict):
            handle = self._handle(str(quoted["account"].get("acct") or ""))
            body = " ".join(html_to_text(str(quoted.get("content") or "")).split())
            return f"\n[quoting @{handle}: {body}]"
        state = str(quote_entity.get("state") or "")
        if quote_entity.get("quoted_status_id") and state in ("", "accepted"):
            return f"\n[quoting post {quote_entity['quoted_status_id']}]"
        return f"\n[quote {state.replace('_', ' ')}]" if state else ""

    # -- the connector interface ------------------------------------------------------------------

    def fetch(self, cursor: str | None) -> FetchResult:
        """Mentions, DMs and quotes, then each hashtag and search term, each from its own place.

        A first sync reads back to the backfill horizon (`backfill_days`), a page per call with
        `more` set; later ones page forward until nothing new is left (see `mastodon_paging`).
        """
        state = load_cursor(cursor)
        self._whoami()
        if self._max_chars is None or time.monotonic() - self._limits_read_at > self.LIMITS_EVERY:
            self._read_instance()
        horizon = float(state.get("h") or self.backfill_horizon())
        state["h"] = horizon  # one horizon for the whole backfill, however many syncs it takes
        result = FetchResult(posts=[], cursor=None)
        budget = [self.ROOT_LOOKUPS]
        reached: list[float] = []
        for stream in self._streams():
            page = paging.read(state, stream, self.page_size, horizon, self._request, self.api.json)
            result.more |= page.more
            if page.reached is not None:
                reached.append(page.reached)
            for item in page.items:
                try:
                    post = self._item(item, stream, budget)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    where = "notification" if stream.key == "n" else stream.label
                    result.quarantined.append(Quarantined(f"mastodon {where}: {exc!r}", raw_text(item)))
                    continue
                if post is not None:
                    result.posts.append(post)
        if not state.get("b"):
            state.pop("b", None)
        # Complete back to the least far-reaching stream of this page.
        result.reached = max(reached) if reached else None
        result.cursor = dump_cursor(state)
        return result

    def _item(self, item: Any, stream: paging.Stream, budget: list[int]) -> Post | None:
        """A Post from a notification or a timeline status; None for a notification we don't show."""
        if stream.key != "n":
            return self._post(item, "search", item, budget)
        kind = item.get("type")
        if kind not in NOTIFICATION_TYPES or not item.get("status"):
            return None
        # A quote of our post is about us, like a mention; `update`: a post we boosted was edited.
        return self._post(item["status"], "search" if kind == "update" else "mention", item, budget)

    def fetch_thread(self, native_id: str) -> list[Post]:
        """The status, its ancestors and its descendants (statuses/:id/context)."""
        self._whoami()
        quoted = quote(native_id, safe="")
        try:
            status = self._get(f"/api/v1/statuses/{quoted}")
        except HttpError as exc:
            if exc.status in (404, 410):  # deleted (or no longer visible to us)
                raise PostGone(native_id) from None
            raise
        context = self._get(f"/api/v1/statuses/{quoted}/context")
        ancestors = list(context.get("ancestors") or []) if isinstance(context, dict) else []
        descendants = list(context.get("descendants") or []) if isinstance(context, dict) else []
        root = str(ancestors[0]["id"]) if ancestors else native_id
        items = [i for i in (*ancestors, status, *descendants) if isinstance(i, dict)]
        for item in items:  # every status here belongs to this root; later syncs reuse it
            if item.get("id"):
                self._roots[str(item["id"])] = root
        posts = []
        for item in items:
            try:
                post = self._post(item, "reply", item, [0])
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # a broken item in a thread view is skipped; the sync path quarantines it
            post.conversation_id = root
            posts.append(post)
        return posts

    def verify(self) -> str:
        """Check the token; also reads the server's character limit."""
        me = self._whoami()
        self._read_instance()
        name = me.get("display_name") or me.get("username") or ""
        return f"@{self._handle(str(me.get('acct', '')))} ({name}), limit {self.limit()} characters"
