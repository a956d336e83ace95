"""Bluesky / AT Protocol connector: notifications, search monitoring, DMs, threads and replies.

Logs in with handle + app password (atproto_session). Notifications and search results page
backwards with an opaque cursor, so a fetch walks pages until it reaches what the last sync already
saw (atproto_walk); the persisted cursor holds each stream's walk and mark, and the direct
messages' read state: {"n": {...}, "s": {term: {...}}, "d": {...}}. Replies and DMs are written
and found again by bluesky_send; posts are read from views by bluesky_posts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from socialdesk.connectors.atproto_session import XrpcSession
from socialdesk.connectors.atproto_walk import Step, from_legacy, limit, step
from socialdesk.connectors.base import (
    BACKFILL_OPTION,
    Capabilities,
    ConfigError,
    Connector,
    FetchResult,
    OutgoingReply,
    Post,
    PostGone,
    Quarantined,
    SendResult,
    SessionStore,
    TransientError,
)
from socialdesk.connectors.bluesky_chat import ChatReader
from socialdesk.connectors.bluesky_moderation import BlueskyModeration
from socialdesk.connectors.bluesky_posts import NOT_FOUND, POST_TYPE, post_from_view, thread_views
from socialdesk.connectors.bluesky_send import BlueskySender, iso
from socialdesk.connectors.bluesky_views import embedded_quote, quote_text, quoted_uri
from socialdesk.connectors.http import (
    Api,
    HttpError,
    QueryValue,
    bluesky_reset,
    dump_cursor,
    load_cursor,
    make_client,
    raw_text,
)
from socialdesk.models import Author
from socialdesk.secrets import remember

if TYPE_CHECKING:
    import httpx

__all__ = ["POST_TYPE", "BlueskyConnector"]

_REASONS = {"mention": "mention", "reply": "reply", "quote": "mention"}


class BlueskyConnector(BlueskyModeration, Connector):
    """Bluesky and other AT Protocol services through XRPC."""

    name = "bluesky"
    display_name = "Bluesky"
    glyph = "B"
    capabilities = Capabilities(
        max_length=300,
        counting="graphemes",
        max_bytes=3000,
        can_reply=True,
        can_dm=True,
        monitoring=frozenset({"mentions", "search", "dm"}),
    )
    keeps_session = True
    options = {
        "handle": (str, "Your handle, e.g. acme.bsky.social"),
        "service": (str, "Your PDS address (default https://bsky.social)"),
        "search_terms": (list[str], "Search terms to monitor (app.bsky.feed.searchPosts)"),
        "direct_messages": (bool, "Read direct messages (the app password must allow DMs; default true)"),
        "page_size": (int, "Items per request, 1 to 100 (default 50)"),
        **BACKFILL_OPTION,
    }
    secret_label = "app password"

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(account, settings, remember(secret), http)
        self.handle = str(self.settings.get("handle") or "").lstrip("@")
        if not self.handle:
            raise ConfigError(f"account {account!r}: handle is required (e.g. acme.bsky.social)")
        service = str(self.settings.get("service") or "https://bsky.social").rstrip("/")
        self.page_size = max(1, min(100, self.int_option("page_size", 50) or 50))
        self.http = http if http is not None else make_client(service)
        self.api = Api(self.http, "Bluesky", bluesky_reset, secrets=[self.secret])
        self.xrpc = XrpcSession(self.api, account, self.handle, self.secret)
        self.sender = BlueskySender(self.xrpc)

    @property
    def session_store(self) -> SessionStore | None:
        """Where the login session is kept (the accounts service sets it: the secret store)."""
        return self.xrpc.store

    @session_store.setter
    def session_store(self, store: SessionStore | None) -> None:
        self.xrpc.store = store

    @property
    def did(self) -> str:
        """Our account's DID (logs in when needed)."""
        return self.xrpc.did

    def own_author(self) -> Author | None:
        """Our account from the session (its DID and handle)."""
        session = self.xrpc.session
        if not session or not session.get("did"):
            return None
        handle = self.xrpc.shown_handle
        return Author(native_id=str(session["did"]), handle=handle, url=f"https://bsky.app/profile/{handle}")

    # -- reading ---------------------------------------------------------------------------------

    def _post(self, view: dict[str, Any], kind: str, raw: Any) -> Post:
        return post_from_view(view, kind, raw, self.account, self.xrpc.open_did)

    def _page(
        self, nsid: str, params: dict[str, QueryValue], key: str, state: Any
    ) -> tuple[Step, dict[str, Any]]:
        """One page of a stream's walk (see atproto_walk); returns what it gave and the stream's state."""
        state = from_legacy(state)
        walk = state.get("walk") or {}
        asked = limit(state, self.page_size)
        query = {**params, "limit": asked, **({"cursor": walk["c"]} if walk.get("c") else {})}
        data = self.xrpc.call("GET", nsid, query)
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TransientError(f"Bluesky: {nsid} answered without a {key} list")
        cursor = data.get("cursor")
        following = cursor if isinstance(cursor, str) and cursor else None
        return step(state, items, following, self.backfill_horizon(), asked)

    def fetch(self, cursor: str | None) -> FetchResult:
        """One page of notifications (mentions, replies, quotes) and of each search term, and DMs.

        A stream whose walk is under way goes on from its page; when none is, every stream starts
        a new walk from its newest item. `more` says a walk is still under way.
        """
        state = load_cursor(cursor)
        self.xrpc.current()
        result = FetchResult(posts=[], cursor=None)
        terms = self.list_option("search_terms")
        old_searches = state.get("s")
        searches = {
            t: from_legacy(old_searches.get(t) if isinstance(old_searches, dict) else None) for t in terms
        }
        notifications = from_legacy(state.get("n"))
        walking = bool(notifications.get("walk")) or any(s.get("walk") for s in searches.values())
        reached: list[float] = []
        if not walking or notifications.get("walk"):
            # Unfiltered: asked for some `reasons`, the appview refills a page that filtering left
            # short from its time-only cursor, skipping the rest of a millisecond inside its answer.
            page, notifications = self._page(
                "app.bsky.notification.listNotifications", {}, "notifications", notifications
            )
            reached += [page.reached] if page.reached is not None else []
            if page.crowded is not None:
                result.errors.append(
                    f"notifications: more than 100 notifications share the time {iso(page.crowded)}; "
                    "the appview cannot page through them, so some may be missing"
                )
            for item in page.new:
                try:
                    kind = _REASONS.get(item.get("reason"))
                    if kind is None:
                        continue  # likes, reposts, follows: not conversations
                    result.posts.append(self._post(item, kind, item))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    result.quarantined.append(Quarantined(f"bluesky notification: {exc!r}", raw_text(item)))
        for term in terms:
            if walking and not searches[term].get("walk"):
                continue
            page, searches[term] = self._page(
                "app.bsky.feed.searchPosts", {"q": term, "sort": "latest"}, "posts", searches[term]
            )
            reached += [page.reached] if page.reached is not None else []
            for item in page.new:
                try:
                    result.posts.append(self._post(item, "search", item))
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    result.quarantined.append(Quarantined(f"bluesky search {term}: {exc!r}", raw_text(item)))
        self._show_quotes(result.posts)
        stored_dms = state.get("d")
        dms: dict[str, Any] = stored_dms if isinstance(stored_dms, dict) else {}
        if not walking and self.settings.get("direct_messages", True):
            reader = ChatReader(self.sender.chat, self.did, self.account, self.backfill_horizon())
            found, bad, dms = reader.read(dms, time.time())
            result.posts += found
            result.quarantined += bad
        result.more = bool(notifications.get("walk")) or any(s.get("walk") for s in searches.values())
        result.cursor = dump_cursor({"n": notifications, "s": searches, **({"d": dms} if dms else {})})
        result.reached = max(reached) if reached else None  # nothing is missing back to the latest
        return result

    def _show_quotes(self, posts: list[Post]) -> None:
        """Add the quoted post to quotes that arrived without it (notifications carry the bare record)."""
        wanted: dict[str, list[Post]] = {}
        for post in posts:
            record = post.raw.get("record")
            uri = quoted_uri(record) if isinstance(record, dict) else None
            if uri and embedded_quote(post.raw) is None:
                wanted.setdefault(uri, []).append(post)
        uris = list(wanted)
        found: dict[str, Any] = {}
        for start in range(0, len(uris), 25):  # getPosts takes 25 at a time
            data = self.xrpc.call("GET", "app.bsky.feed.getPosts", {"uris": uris[start : start + 25]})
            for view in (data.get("posts") if isinstance(data, dict) else None) or []:
                if isinstance(view, dict) and view.get("uri"):
                    found[str(view["uri"])] = view
        for uri, quoting in wanted.items():
            for post in quoting:
                post.text += quote_text(found.get(uri))

    # -- threads ---------------------------------------------------------------------------------

    def _thread(self, native_id: str) -> tuple[list[Post], list[str]]:
        """The thread around a post from app.bsky.feed.getPostThread and the uris it says are gone.

        Raises:
            PostGone: the post itself is gone (the appview answers NotFound).
        """
        self.xrpc.current()
        try:
            data = self.xrpc.call(
                "GET", "app.bsky.feed.getPostThread", {"uri": native_id, "depth": 20, "parentHeight": 80}
            )
        except HttpError as exc:
            if exc.code == "NotFound":
                raise PostGone(native_id, f"Bluesky: post {native_id} is gone") from None
            raise
        node = data.get("thread") if isinstance(data, dict) else None
        if isinstance(node, dict) and node.get("$type") == NOT_FOUND:
            raise PostGone(native_id, f"Bluesky: post {native_id} is gone")
        views, gone = thread_views(node)
        posts = []
        for view in views:
            try:
                posts.append(self._post(view, "reply", view))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        return posts, gone

    def fetch_thread(self, native_id: str) -> list[Post]:
        """Ancestors, the post and its replies from app.bsky.feed.getPostThread.

        Raises:
            PostGone: the post itself was deleted.
        """
        return self._thread(native_id)[0]

    def refresh_thread(self, native_id: str) -> FetchResult:
        """The thread as it is now, with the posts the appview says are gone in `deleted`."""
        try:
            posts, gone = self._thread(native_id)
        except PostGone:
            return FetchResult(posts=[], cursor=None, deleted=[native_id])
        return FetchResult(posts=posts, cursor=None, deleted=gone)

    # -- sending ---------------------------------------------------------------------------------

    def refusal(self, reply: OutgoingReply) -> str | None:
        """A post the AppView no longer has cannot be answered (a DM goes to its conversation)."""
        return self.sender.refusal(reply)

    def send(self, reply: OutgoingReply) -> SendResult:
        """A reply (under a record key derived from its idempotency key), or a direct message."""
        return self.sender.send(reply)

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """The reply's record by its key, or the DM among our messages (None: never created)."""
        return self.sender.find_sent(reply)

    def verify(self) -> str:
        """Prove the credentials with a round trip and describe the account.

        A stored session is refreshed, not trusted: its access token stays valid for a while after
        the app password is revoked, its refresh token does not. When the refresh is refused, the
        app password logs in afresh (a wrong or revoked one: AuthError).
        """
        self.xrpc.load_stored()
        session = self.xrpc.refresh()
        return f"@{session.get('handle') or self.handle} ({session.get('did')})"
