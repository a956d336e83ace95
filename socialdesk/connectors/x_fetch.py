"""Reads an X account's streams page by page: mentions, DMs and each search, each on its own.

Every stream keeps its own cursor and its own error, so a refused search never costs the mentions.
One `fetch` reads one page of every stream with a walk under way and says `more` while any has a
next page; the engine stores each page with the cursor, so a crash resumes at the page it stopped.

A walk reads newest first, back to the stream's stored cursor (`since_id`; DM events have none, so
the walk stops at the first event it already has) or, on a first sync, to the backfill horizon
(`start_time`). X bounds how far back each stream can reach: the mentions timeline holds the newest
800 posts, recent search covers 7 days (a `since_id` older than that is refused with a 400; the walk
then starts again from `start_time` inside the window), DM events go back 30 days.

The cursor is JSON: {"m": mentions since_id, "s": {term: since_id}, "d": newest DM event id,
"w": {stream: walk under way}, "e": {stream: last error}, "u": {stream: rate-limited until},
"r": {stream: how far back its first sync reached}}; stream names are "m", "d" and "s:<term>".
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import msgspec

from socialdesk.connectors.base import (
    AuthError,
    ConnectorError,
    FetchResult,
    Post,
    Quarantined,
    RateLimited,
)
from socialdesk.connectors.http import (
    HttpError,
    MalformedResponse,
    Query,
    QueryValue,
    id_key,
    parse_time,
    raw_text,
)
from socialdesk.connectors.x_cursor import checked_state
from socialdesk.connectors.x_posts import (
    DM_EVENT_FIELDS,
    MEDIA_FIELDS,
    TWEET_FIELDS,
    USER_FIELDS,
    dm_post,
    is_superseded,
    tweet_post,
    users_by_id,
    with_media,
)

DAY = 86_400.0
MENTIONS_HELD = 800  # X's mentions timeline: "up to the most recent 800 Posts"
SEARCH_WINDOW = 7 * DAY  # recent search: the last 7 days
SEARCH_MARGIN = 300.0  # start a little inside the window: X rounds its bound to the minute
DM_WINDOW = 30 * DAY  # DM events: the last 30 days
SEARCH_MIN_RESULTS = 10  # recent search refuses max_results below 10 (timelines accept 5)

Get = Callable[[str, Query], dict[str, Any]]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _problem(error: HttpError, body: bytes) -> str:
    """X's own message for a 400 (`errors[0].message`), else the generic one."""
    try:
        data = json.loads(body)
        first = data["errors"][0]
        return str(first.get("message") or error)[:300]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return str(error)


def _refused_parameter(body: bytes) -> set[str]:
    """The query parameters a 400 names (X's `errors[].parameters`)."""
    try:
        errors = json.loads(body).get("errors") or []
        return {str(name) for e in errors if isinstance(e, dict) for name in (e.get("parameters") or {})}
    except (ValueError, AttributeError, TypeError):
        return set()


class Stream(msgspec.Struct):
    """One of an account's streams: its name in the cursor and how to read a page of it."""

    key: str  # "m", "d" or "s:<term>"
    path: str
    kind: str  # the Post kind its items get
    term: str = ""

    @property
    def is_search(self) -> bool:
        return self.key.startswith("s:")


class XFetch:
    """One fetch of an account's streams from a decoded cursor (see the module docstring).

    Args:
        get: GET a path with query parameters and return the decoded JSON object.
        me: the account's user id.
        account: the account's name (stamped on every Post).
        page_size: posts per request asked for (searches ask for at least 10).
        horizon: how far back a first sync reads (unix seconds).
        streams: the streams to read.
        last_response: the body of the last response (to read X's own words in a 400).
        now: the clock.
    """

    def __init__(
        self,
        get: Get,
        me: str,
        account: str,
        page_size: int,
        horizon: float,
        streams: Sequence[Stream],
        last_response: Callable[[], bytes],
        now: Callable[[], float] = time.time,
    ) -> None:
        self.get = get
        self.me = me
        self.account = account
        self.page_size = page_size
        self.horizon = horizon
        self.streams = list(streams)
        self.last_response = last_response
        self.now = now
        self.limited_replies = False  # a self-serve app: mark search hits it may not answer (x_posts)

    def run(self, stored: dict[str, object]) -> tuple[FetchResult, dict[str, Any]]:
        """One page of every stream due; the result (cursor unset) and the new state.

        Args:
            stored: the decoded cursor; whatever in it is not of the shape this class writes is
                dropped (that stream starts again), so a damaged cursor never stops the syncs.

        Raises:
            ConnectorError: every stream read this time failed (the first one's error: a refused
                token is an AuthError, as for a single stream).
        """
        state = checked_state(stored)
        result = FetchResult(posts=[], cursor=None)
        walks: dict[str, Any] = state.setdefault("w", {})
        errors: dict[str, str] = state.setdefault("e", {})
        limited: dict[str, float] = state.setdefault("u", {})
        known = {s.key for s in self.streams}
        for table in (walks, errors, limited, state.setdefault("r", {})):
            for key in [k for k in table if k not in known]:
                del table[key]  # a search no longer configured
        # A round starts every stream; the next fetches of the round continue the unfinished walks.
        due = [s for s in self.streams if s.key in walks] if walks else list(self.streams)
        failures: list[ConnectorError] = []
        for stream in due:
            if limited.get(stream.key, 0) > self.now():
                continue
            try:
                self._page(stream, state, result)
            except ConnectorError as exc:
                # Refused, rate limited, or (a token without dm.read) forbidden: this stream only.
                # When every stream fails the same way, the whole fetch fails below.
                walks.pop(stream.key, None)  # the next round starts it again from its cursor
                if isinstance(exc, RateLimited):
                    limited[stream.key] = exc.until
                dm_scope = isinstance(exc, AuthError) and stream.key == "d"
                hint = " (reading DMs needs the dm.read scope)" if dm_scope else ""
                errors[stream.key] = f"{self._label(stream)}: {exc}{hint}"
                failures.append(exc)
            else:
                errors.pop(stream.key, None)
                limited.pop(stream.key, None)
        if failures and len(failures) == len(due) and not walks:
            raise failures[0]
        result.errors = [errors[k] for k in sorted(errors)] + result.errors
        result.more = bool(walks)
        reached = state["r"]
        if not walks and reached:
            # Nothing is missing back to the least far-reaching stream's point.
            result.reached = max(reached.values())
            state["r"] = {}
        return result, state

    @staticmethod
    def _label(stream: Stream) -> str:
        if stream.is_search:
            return f"search {stream.term!r}"
        return "mentions" if stream.key == "m" else "direct messages"

    # -- one page ----------------------------------------------------------------------------------

    def _since(self, stream: Stream, state: dict[str, Any]) -> str | None:
        value = (state.get("s") or {}).get(stream.term) if stream.is_search else state.get(stream.key)
        return str(value) if value else None

    def _commit(self, stream: Stream, state: dict[str, Any], newest: str | None) -> None:
        if not newest:
            return
        if stream.is_search:
            state.setdefault("s", {})[stream.term] = newest
        else:
            state[stream.key] = newest

    def _page(self, stream: Stream, state: dict[str, Any], result: FetchResult) -> None:
        since = self._since(stream, state)
        walk = state["w"].get(stream.key)
        if walk is None:
            walk = {"n": since, "c": 0}
            if not since:  # a first sync: back to the horizon, as far as X keeps the stream
                walk["from"] = walk["st"] = self._floor(stream)
        if stream.key == "d":
            items, meta, users = self._read_dms(walk)
        else:
            items, meta, users = self._read_posts(stream, walk, since)
        floor = float(walk.get("st", self.horizon))
        for item in items:
            try:
                created = parse_time(item.get("created_at"))
                walk["o"] = min(float(walk.get("o", created)), created)
                if stream.key != "d":
                    if not is_superseded(item):  # else its newest version is on this walk too
                        result.posts.append(
                            tweet_post(item, users, stream.kind, self.me, self.account, self.limited_replies)
                        )
                elif since and id_key(str(item["id"])) <= id_key(since):
                    walk["done"] = True  # DM events have no since_id: the ones we have start here
                elif created >= floor and item.get("event_type", "MessageCreate") == "MessageCreate":
                    result.posts.append(dm_post(item, users, self.me, self.account))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                result.quarantined.append(Quarantined(f"x {stream.kind}: {exc!r}", raw_text(item)))
            item_id = str(item.get("id") or "")
            if item_id.isdigit() and (walk["n"] is None or id_key(item_id) > id_key(walk["n"])):
                walk["n"] = item_id
        walk["c"] += len(items)
        token = meta.get("next_token")
        # A later sync stops at the horizon too: a desk left off for weeks reads `backfill_days` back.
        if not token or walk.get("done") or float(walk.get("o", floor)) < min(floor, self.horizon):
            state["w"].pop(stream.key, None)
            self._commit(stream, state, walk["n"])
            if "from" in walk:
                state["r"][stream.key] = self._reached(stream, walk)
            elif since:
                self._say_gap(stream, walk, bool(token), result)
        else:
            walk["t"] = token
            state["w"][stream.key] = walk

    def _say_gap(self, stream: Stream, walk: dict[str, Any], cut: bool, result: FetchResult) -> None:
        """A later sync that could not reach its cursor says what it could not read."""
        back_to = float(walk.get("o", walk.get("st", self.horizon)))
        when = datetime.fromtimestamp(back_to, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if cut:
            why = "older ones are past backfill_days"
        elif "st" in walk:
            why = "the last sync was over 7 days ago and X's search holds 7 days"
        elif stream.key == "m" and walk["c"] >= MENTIONS_HELD:
            why = "X's mentions timeline holds the newest 800"
        elif stream.key == "d" and not walk.get("done"):
            why = "X keeps 30 days of DMs"
        else:
            return  # the walk reached the cursor: nothing missing
        result.errors.append(f"{self._label(stream)}: read back to {when} only ({why})")

    def _floor(self, stream: Stream) -> float:
        """How far back a first sync of this stream can read."""
        if stream.is_search:
            return max(self.horizon, self.now() - SEARCH_WINDOW + SEARCH_MARGIN)
        if stream.key == "d":
            return max(self.horizon, self.now() - DM_WINDOW)
        return self.horizon

    @staticmethod
    def _reached(stream: Stream, walk: dict[str, Any]) -> float:
        """Back to when nothing is missing: the floor, or the oldest post when X's 800 cut it short."""
        if stream.key == "m" and walk["c"] >= MENTIONS_HELD:
            return float(walk.get("o", walk["from"]))
        return float(walk["from"])

    def _read_posts(
        self, stream: Stream, walk: dict[str, Any], since: str | None
    ) -> tuple[list[Any], dict[str, Any], dict[str, dict[str, Any]]]:
        size = max(SEARCH_MIN_RESULTS, self.page_size) if stream.is_search else self.page_size
        query: dict[str, QueryValue] = {
            "max_results": size,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id,attachments.media_keys",
            "media.fields": MEDIA_FIELDS,
            "user.fields": USER_FIELDS,
        }
        if stream.is_search:
            query["query"] = f"{stream.term} -is:retweet"
        if "st" in walk:
            query["start_time"] = _iso(walk["st"])
        elif since:
            query["since_id"] = since
        if walk.get("t"):
            query["next_token" if stream.is_search else "pagination_token"] = walk["t"]
        try:
            data = self.get(stream.path, query)
        except HttpError as exc:
            body = self.last_response()
            if not (stream.is_search and exc.status == 400 and "since_id" in _refused_parameter(body)):
                raise HttpError(f"{exc} ({_problem(exc, body)})", exc.status, exc.code) from None
            # The last sync is older than search's 7 days: read what the window still holds.
            walk.clear()
            walk.update({"n": since, "c": 0, "st": self.now() - SEARCH_WINDOW + SEARCH_MARGIN})
            query.pop("since_id")
            query.pop("next_token", None)
            query["start_time"] = _iso(walk["st"])
            data = self.get(stream.path, query)
        return self._items(data)

    def _read_dms(self, walk: dict[str, Any]) -> tuple[list[Any], dict[str, Any], dict[str, dict[str, Any]]]:
        query: dict[str, QueryValue] = {
            "max_results": self.page_size,
            "event_types": "MessageCreate",
            "dm_event.fields": DM_EVENT_FIELDS,
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        if walk.get("t"):
            query["pagination_token"] = walk["t"]
        return self._items(self.get("/2/dm_events", query))

    @staticmethod
    def _items(data: dict[str, Any]) -> tuple[list[Any], dict[str, Any], dict[str, dict[str, Any]]]:
        items = data.get("data") or []
        meta = data.get("meta") or {}
        if not isinstance(items, list) or not isinstance(meta, dict):
            raise MalformedResponse("X: a page of an unexpected shape")
        items = [i for i in items if isinstance(i, dict)]
        with_media(items, data)
        return items, meta, users_by_id(data)


def dm_thread(get: Get, event_id: str, me: str, account: str, max_pages: int) -> list[Post] | None:
    """The DM conversation a direct message belongs to, oldest first; None when X has no such DM.

    A thread is refreshed by the id of the post opened, and a DM event's id looks like a post's: the
    caller asks here once X says there is no post with that id.
    """
    fields = {"dm_event.fields": DM_EVENT_FIELDS, "expansions": "sender_id", "user.fields": USER_FIELDS}
    try:
        found = get(f"/2/dm_events/{quote(event_id)}", fields)
    except (HttpError, AuthError):  # not found, or no dm.read: not a DM this account can read
        return None
    event = found.get("data")
    if not isinstance(event, dict) or not event.get("dm_conversation_id"):
        return None
    query: dict[str, QueryValue] = {**fields, "event_types": "MessageCreate", "max_results": 100}
    path = f"/2/dm_conversations/{quote(str(event['dm_conversation_id']))}/dm_events"
    posts: dict[str, Post] = {}
    for _ in range(max_pages):
        items, meta, users = XFetch._items(get(path, query))
        for item in items:
            try:
                post = dm_post(item, users, me, account)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # a thread view skips what it cannot read; syncs quarantine it
            posts[post.native_id] = post
        if not meta.get("next_token"):
            break
        query["pagination_token"] = meta["next_token"]
    if event_id not in posts:
        posts[event_id] = dm_post(event, users_by_id(found), me, account)
    return sorted(posts.values(), key=lambda p: (p.created_at, id_key(p.native_id)))
