"""Bluesky / AT Protocol connector: notifications, search monitoring, threads and replies.

Logs in with handle + app password (`com.atproto.server.createSession`, itself rate limited, so
the session is kept in a `session_store` and refreshed with `refreshSession`). Notifications and
search results page backwards with an opaque cursor, so a fetch walks pages until it reaches what
the last sync already saw; the persisted cursor is that high-water mark:
{"n": {"at": indexedAt, "uris": [...]}, "s": {term: {...}}}.

Replies are written with a record key derived from the reply's idempotency key, so a retry can
never create a second post: the repeat is refused (a 500 from the PDS) and `find_sent` finds
the first one by its key.
Direct messages (chat.bsky.convo, served by a separate chat service) are not supported.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from socialdesk.connectors.atproto_richtext import facets
from socialdesk.connectors.atproto_walk import Step, from_legacy, limit, step
from socialdesk.connectors.base import (
    BACKFILL_OPTION,
    AuthError,
    Capabilities,
    ConfigError,
    Connector,
    FetchResult,
    OutgoingReply,
    PermanentError,
    Post,
    PostGone,
    Quarantined,
    SendResult,
    SendUncertain,
    TransientError,
)
from socialdesk.connectors.bluesky_chat import (
    CHAT_PROXY,
    ChatReader,
    convo_for,
    dm_url,
    find_message,
    send_message,
)
from socialdesk.connectors.bluesky_moderation import BlueskyModeration
from socialdesk.connectors.bluesky_views import (
    embedded_quote,
    quote_text,
    quoted_uri,
    self_labels,
    show_link_hosts,
)
from socialdesk.connectors.http import (
    Api,
    HttpError,
    bluesky_reset,
    dump_cursor,
    load_cursor,
    make_client,
    parse_time,
    raw_text,
)
from socialdesk.models import Author
from socialdesk.secrets import remember

POST_TYPE = "app.bsky.feed.post"
_NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
_REASONS = {"mention": "mention", "reply": "reply", "quote": "mention"}
_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs use
_TID_EPOCH_2024 = 1_704_067_200_000_000


class SessionStore(Protocol):
    """Where the login session is kept between runs (its tokens are secrets)."""

    def load(self) -> dict[str, Any] | None: ...

    def save(self, session: dict[str, Any] | None) -> None: ...


def tid(micros: int, clock_id: int) -> str:
    """A TID record key: 53 bits of microseconds and 10 bits of clock id, base32-sortable."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def rkey_for(idempotency_key: str, created_at: float | None = None) -> str:
    """The record key of a reply, the same on every retry.

    The time part is the reply's creation time when known (so keys sort like real TIDs), else a
    time derived from the key; the clock id always comes from the key.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    clock_id = int.from_bytes(digest[:2], "big")
    if created_at is not None:
        micros = int(created_at * 1_000_000)
    else:
        micros = _TID_EPOCH_2024 + int.from_bytes(digest[2:10], "big") % (365 * 86_400 * 1_000_000)
    return tid(micros, clock_id)


def _refs(data: Any) -> dict[str, Any]:
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


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
        settings: Mapping[str, Any] | None = None,
        secret: str | None = None,
        http: Any = None,
    ) -> None:
        super().__init__(account, settings, remember(secret), http)
        self.handle = str(self.settings.get("handle") or "").lstrip("@")
        if not self.handle:
            raise ConfigError(f"account {account!r}: handle is required (e.g. acme.bsky.social)")
        service = str(self.settings.get("service") or "https://bsky.social").rstrip("/")
        self.page_size = max(1, min(100, int(self.settings.get("page_size") or 50)))
        self.http = http if http is not None else make_client(service)
        self.api = Api(self.http, "Bluesky", bluesky_reset, secrets=[self.secret])
        self.session_store: SessionStore | None = None
        self._session: dict[str, Any] | None = None

    # -- session ---------------------------------------------------------------------------------

    def _remember_session(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not data.get("accessJwt") or not data.get("did"):
            raise TransientError("Bluesky: the session answer had an unexpected shape")
        session = {k: data.get(k) for k in ("did", "handle", "accessJwt", "refreshJwt")}
        for key in ("accessJwt", "refreshJwt"):
            remember(session[key])
        self.api.secrets += [str(session["accessJwt"]), str(session["refreshJwt"] or "")]
        self._session = session
        if self.session_store is not None:
            self.session_store.save(session)
        return session

    def _login(self) -> dict[str, Any]:
        if not self.secret:
            raise AuthError(
                f"Bluesky account {self.account!r} has no app password: run `socialdesk accounts add`"
            )
        data = self.api.post_json(
            "/xrpc/com.atproto.server.createSession",
            {"identifier": self.handle, "password": str(self.secret)},
            idempotent=True,  # a second session is harmless
            creates=False,
        )
        return self._remember_session(data)

    def _load_stored(self) -> None:
        if self._session is None and self.session_store is not None:
            stored = self.session_store.load()
            if stored and stored.get("accessJwt"):
                self._session = stored
                self.api.secrets += [stored.get("accessJwt") or "", stored.get("refreshJwt") or ""]

    def _current(self) -> dict[str, Any]:
        self._load_stored()
        return self._session or self._login()

    def _refresh(self) -> dict[str, Any]:
        refresh = (self._session or {}).get("refreshJwt")
        if refresh:
            try:
                data = self.api.post_json(
                    "/xrpc/com.atproto.server.refreshSession",
                    None,
                    headers={"Authorization": f"Bearer {refresh}"},
                    idempotent=True,
                    creates=False,
                )
                return self._remember_session(data)
            except (AuthError, HttpError):
                pass
        self._session = None
        return self._login()

    def _xrpc(
        self,
        method: str,
        nsid: str,
        params: Any = None,
        body: Any = None,
        idempotent: bool | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call an XRPC method with the session, refreshing it once when it has expired."""
        for attempt in range(2):
            session = self._current()
            headers = {"Authorization": f"Bearer {session['accessJwt']}", **(extra_headers or {})}
            try:
                response = self.api.request(
                    method,
                    f"/xrpc/{nsid}",
                    params=params,
                    json_body=body,
                    headers=headers,
                    idempotent=idempotent,
                )
                return self.api.json(response)
            except (AuthError, HttpError) as exc:
                expired = isinstance(exc, AuthError) or exc.code in ("ExpiredToken", "InvalidToken")
                if attempt or not expired:
                    raise
                self._refresh()
        raise AssertionError("unreachable")  # pragma: no cover

    def _chat(self, method: str, nsid: str, params: Any, body: Any) -> Any:
        """An XRPC call the PDS forwards to the chat service."""
        return self._xrpc(method, nsid, params, body, idempotent=method == "GET", extra_headers=CHAT_PROXY)

    def own_author(self) -> Author | None:
        """Our account from the session (its DID and handle)."""
        if not self._session or not self._session.get("did"):
            return None
        handle = str(self._session.get("handle") or self.handle)
        return Author(
            native_id=str(self._session["did"]),
            handle=handle,
            url=f"https://bsky.app/profile/{handle}",
        )

    @property
    def did(self) -> str:
        """Our account's DID (logs in when needed)."""
        return str(self._current()["did"])

    # -- reading ---------------------------------------------------------------------------------

    def _post(self, view: dict[str, Any], kind: str, raw: Any) -> Post:
        """A Post from a post view or a notification (raises KeyError/TypeError/ValueError)."""
        record = view["record"]
        if record.get("$type", POST_TYPE) != POST_TYPE:
            raise ValueError(f"not a post record: {record.get('$type')!r}")
        author = view["author"]
        uri = str(view["uri"])
        if not uri.startswith("at://"):
            raise ValueError(f"not an at:// uri: {uri!r}")
        reply = record.get("reply") or {}
        parent = (reply.get("parent") or {}).get("uri")
        root = (reply.get("root") or {}).get("uri") or uri
        created = parse_time(record["createdAt"])
        if view.get("indexedAt"):
            created = min(created, parse_time(view["indexedAt"]))  # a client-set date in the future
        is_ours = author["did"] == (self._session or {}).get("did")
        handle = str(author["handle"])
        return Post(
            network=self.name,
            native_id=uri,
            author=Author(
                native_id=str(author["did"]),
                handle=handle,  # bare: the desk adds the "@"
                display_name=str(author.get("displayName") or ""),
                followers=int(author.get("followersCount") or 0),
                url=f"https://bsky.app/profile/{handle}",
            ),
            text=show_link_hosts(str(record.get("text") or ""), record.get("facets"))
            + (quote_text(embedded_quote(view)) if embedded_quote(view) is not None else ""),
            created_at=created,
            account=self.account,
            url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
            in_reply_to=parent,
            conversation_id=root,
            kind="own" if is_ours else kind,
            lang=str((record.get("langs") or [""])[0]),
            content_warning=self_labels(record, view),
            is_ours=is_ours,
            raw=raw if isinstance(raw, dict) else {"item": raw},
        )

    def _page(self, nsid: str, params: dict[str, Any], key: str, state: Any) -> tuple[Step, dict[str, Any]]:
        """One page of a stream's walk (see atproto_walk); returns what it gave and the stream's state."""
        state = from_legacy(state)
        walk = state.get("walk") or {}
        asked = limit(state, self.page_size)
        query = {**params, "limit": asked, **({"cursor": walk["c"]} if walk.get("c") else {})}

        data = self._xrpc("GET", nsid, query)
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise TransientError(f"Bluesky: {nsid} answered without a {key} list")
        cursor = data.get("cursor")
        return step(
            state,
            items,
            cursor if isinstance(cursor, str) and cursor else None,
            self.backfill_horizon(),
            asked,
        )

    def fetch(self, cursor: str | None) -> FetchResult:
        """One page of notifications (mentions, replies, quotes) and of each search term.

        A stream whose walk is under way goes on from its page; when none is, every stream starts
        a new walk from its newest item. `more` says a walk is still under way.
        """
        state = load_cursor(cursor)
        self._current()
        result = FetchResult(posts=[], cursor=None)
        terms = [str(t) for t in self.settings.get("search_terms") or []]
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
                    f"notifications: more than 100 notifications share the time {_iso(page.crowded)}; "
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
            reader = ChatReader(self._chat, self.did, self.account, self.backfill_horizon())
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
            data = self._xrpc("GET", "app.bsky.feed.getPosts", {"uris": uris[start : start + 25]})
            for view in (data.get("posts") if isinstance(data, dict) else None) or []:
                if isinstance(view, dict) and view.get("uri"):
                    found[str(view["uri"])] = view
        for uri, quoting in wanted.items():
            for post in quoting:
                post.text += quote_text(found.get(uri))

    def _thread(self, native_id: str) -> tuple[list[Post], list[str]]:
        """The thread around a post from app.bsky.feed.getPostThread and the uris it says are gone.

        Raises:
            PostGone: the post itself is gone (the appview answers NotFound).
        """
        self._current()
        try:
            data = self._xrpc(
                "GET", "app.bsky.feed.getPostThread", {"uri": native_id, "depth": 20, "parentHeight": 80}
            )
        except HttpError as exc:
            if exc.code == "NotFound":
                raise PostGone(native_id, f"Bluesky: post {native_id} is gone") from None
            raise
        node = data.get("thread") if isinstance(data, dict) else None
        gone: list[str] = []
        if isinstance(node, dict) and node.get("$type") == _NOT_FOUND:
            raise PostGone(native_id, f"Bluesky: post {native_id} is gone")
        chain: list[dict[str, Any]] = []
        parent = node.get("parent") if isinstance(node, dict) else None
        while isinstance(parent, dict):
            if parent.get("$type") == _NOT_FOUND and parent.get("uri"):
                gone.append(str(parent["uri"]))  # a deleted ancestor ends the chain
                break
            if not isinstance(parent.get("post"), dict):
                break  # blocked, or cut off
            chain.insert(0, parent["post"])
            parent = parent.get("parent")
        queue = [node] if isinstance(node, dict) else []
        while queue:
            current = queue.pop(0)
            if current.get("$type") == _NOT_FOUND and current.get("uri"):
                gone.append(str(current["uri"]))
            if isinstance(current.get("post"), dict):
                chain.append(current["post"])
            queue.extend(r for r in current.get("replies") or [] if isinstance(r, dict))
        posts = []
        for view in chain:
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

    def _resolve(self, handle: str) -> str | None:
        try:
            data = self._xrpc("GET", "com.atproto.identity.resolveHandle", {"handle": handle})
        except (HttpError, TransientError):
            return None
        return data.get("did") if isinstance(data, dict) else None

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
            data = self._xrpc("GET", "app.bsky.feed.getPosts", {"uris": [reply.in_reply_to]})
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
        """No DMs here; and a post the AppView no longer has cannot be answered."""
        if reply.dm:
            return "Bluesky direct messages are not supported by this connector: reply in public"
        if reply.in_reply_to:
            data = self._xrpc("GET", "app.bsky.feed.getPosts", {"uris": [reply.in_reply_to]})
            if isinstance(data, dict) and not data.get("posts"):
                return "the post being answered no longer exists on Bluesky"
        return None

    def _record_refs(self, uri: str) -> dict[str, Any]:
        """One of our records' cid and thread root, read from the repo (consistent right after a write)."""
        did, collection, rkey = uri.removeprefix("at://").split("/")
        data = self._xrpc(
            "GET", "com.atproto.repo.getRecord", {"repo": did, "collection": collection, "rkey": rkey}
        )
        return _refs(data)

    def _created_at(self, reply: OutgoingReply) -> float | None:
        value = reply.extra.get("created_at")
        return float(value) if isinstance(value, int | float) else None

    def send(self, reply: OutgoingReply) -> SendResult:
        """Create the reply under a record key derived from its idempotency key."""
        if reply.dm:
            return self._send_dm(reply)
        created = self._created_at(reply)
        record: dict[str, Any] = {
            "$type": POST_TYPE,
            "text": reply.text,
            "createdAt": _iso(created or time.time()),
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
            "repo": self.did,
            "collection": POST_TYPE,
            "rkey": rkey_for(reply.idempotency_key, created),
            "record": record,
        }
        try:
            data = self._xrpc("POST", "com.atproto.repo.createRecord", body=body, idempotent=True)
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
        convo = convo_for(self._chat, reply.conversation_id, reply.to_native_id)
        try:
            native_id = send_message(self._chat, convo, reply.text, facets(reply.text, self._resolve))
        except TransientError as exc:
            raise SendUncertain(str(exc)) from None
        return SendResult(native_id=native_id, url=dm_url(reply.to_handle))

    def _result(self, refs: dict[str, Any]) -> SendResult:
        uri = str(refs["uri"])
        handle = (self._session or {}).get("handle") or self.handle
        return SendResult(
            native_id=uri,
            url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
            refs={"cid": refs["cid"], "root": refs["root"]},
        )

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """The reply's record, looked up by its deterministic key (None when it was never created);
        a DM: our message with its text in the conversation since it was written."""
        if reply.dm:
            convo = convo_for(self._chat, reply.conversation_id, reply.to_native_id)
            since = float(reply.first_attempt_at or reply.extra.get("created_at") or 0.0)
            found = find_message(self._chat, convo, self.did, reply.text, since)
            return SendResult(native_id=found, url=dm_url(reply.to_handle)) if found else None
        rkey = rkey_for(reply.idempotency_key, self._created_at(reply))
        try:
            data = self._xrpc(
                "GET", "com.atproto.repo.getRecord", {"repo": self.did, "collection": POST_TYPE, "rkey": rkey}
            )
        except HttpError as exc:
            if exc.status in (400, 404):
                return None
            raise
        return self._result(_refs(data)) if isinstance(data, dict) and data.get("uri") else None

    def verify(self) -> str:
        """Prove the credentials with a round trip and describe the account.

        A stored session is refreshed, not trusted: its access token stays valid for a while after
        the app password is revoked, its refresh token does not. When the refresh is refused, the
        app password logs in afresh (a wrong or revoked one: AuthError).
        """
        self._load_stored()
        session = self._refresh()
        return f"@{session.get('handle') or self.handle} ({session.get('did')})"
