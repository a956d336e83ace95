"""Paging one Mastodon stream (notifications, a tag timeline, a search): back to a horizon, then forward.

Mastodon pages newest first. Without a position (a first sync) a stream reads its newest page and,
while pages come full and newer than the backfill horizon, follows the `Link` header's `next` URL
(`max_id`) back, one page per fetch, keeping that place in the cursor so a crash resumes it; items
older than the horizon on its last page are left out. Once
back at the horizon (or the end of the history) it pages forward from the newest id it saw with
`min_id` and the `prev` URL, page after page until a page comes back short.

A stream's place lives in the connector's JSON cursor: its forward position (`positions`), and
under "b" the `max_id` of a backfill still under way.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec

from socialdesk.connectors.http import Query, QueryValue, id_key, parse_time


class Stream(msgspec.Struct):
    """One inbound stream: where it is read and under which cursor key its position is kept.

    Attributes:
        key: the position's key in the cursor ("n", or "t"/"s" with a `label`).
        label: the hashtag or search term ("" for notifications).
        path: the API path.
        params: the query parameters of every request.
        backfills: the endpoint pages with `max_id` and Link headers (the search endpoint does not:
            it reads one page on a first sync and never claims how far back that got).
        items: where the list is in the body (None: the body is the list; else that key of it).
    """

    key: str
    label: str
    path: str
    params: Query
    backfills: bool = True
    items: str | None = None

    @property
    def name(self) -> str:
        """The stream's name in the cursor's backfill table ("n", "t:acme", "s:term")."""
        return f"{self.key}:{self.label}" if self.label else self.key


class StreamPage(msgspec.Struct):
    """What one request to a stream brought.

    Attributes:
        items: the entities (notifications or statuses), newest first as the server sent them.
        more: another page of this stream is waiting (backfill under way, or a full forward page).
        reached: for a backfill page, the time back to which this stream is complete (the horizon
            when it got there, else the oldest item's time); None for a forward page.
    """

    items: list[Any] = msgspec.field(default_factory=list)
    more: bool = False
    reached: float | None = None


Request = Callable[[str, Query], httpx.Response]
Decode = Callable[[httpx.Response], Any]


def link_id(response: httpx.Response, rel: str, param: str) -> str | None:
    """The `param` (max_id/min_id) of the Link header's `rel` URL, or None."""
    url = response.links.get(rel, {}).get("url")
    if not url:
        return None
    found = parse_qs(urlsplit(url).query).get(param)
    return found[0] if found else None


def newest_id(items: list[object]) -> str | None:
    """The largest id among the items (ids are opaque strings compared as Mastodon orders them)."""
    ids = [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]
    return max(ids, key=id_key) if ids else None


def oldest_id(items: list[object]) -> str | None:
    """The smallest id among the items."""
    ids = [str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")]
    return min(ids, key=id_key) if ids else None


def oldest_time(items: list[object]) -> float | None:
    """The oldest `created_at` among the items (unparseable ones are skipped)."""
    times = []
    for item in items:
        if isinstance(item, dict) and item.get("created_at"):
            try:
                times.append(parse_time(item["created_at"]))
            except (TypeError, ValueError):
                continue
    return min(times) if times else None


def read(
    state: MutableMapping[str, object],
    stream: Stream,
    page_size: int,
    horizon: float,
    request: Request,
    decode: Decode,
) -> StreamPage:
    """Read the stream's next page from its place in `state` and move that place on.

    Args:
        state: the decoded cursor (changed in place); a place in it of another shape than this
            function writes is dropped, so a damaged cursor restarts the stream instead of failing.
        stream: which stream.
        page_size: items asked per request (`limit`).
        horizon: unix seconds; a first sync reads back to here.
        request: sends a GET (path, params) and returns the response.
        decode: the response's JSON body.
    """
    positions = state if stream.key == "n" else _table(state, stream.key)
    position_key = "n" if stream.key == "n" else stream.label
    position = _place(positions.get(position_key))
    backfills = _table(state, "b")
    backfill = _place(backfills.get(stream.name))
    params: dict[str, QueryValue] = {**stream.params, "limit": page_size}
    if backfill:
        params["max_id"] = backfill
    elif position:
        params["min_id"] = position
    response = request(stream.path, params)
    body = decode(response)
    items = body.get(stream.items) if stream.items and isinstance(body, dict) else body
    items = items if isinstance(items, list) else []
    full = len(items) >= page_size
    if backfill is None and position:  # forward from the newest id seen
        positions[position_key] = link_id(response, "prev", "min_id") or newest_id(items) or position
        return StreamPage(items, more=full)
    if position is None:  # a first sync: this page is the newest; forward paging starts above it
        newest = link_id(response, "prev", "min_id") or newest_id(items)
        if newest:
            positions[position_key] = newest
    if not stream.backfills:
        return StreamPage(items)
    oldest = oldest_time(items)
    older = link_id(response, "next", "max_id") or oldest_id(items)
    if full and older and oldest is not None and oldest > horizon:
        backfills[stream.name] = older
        return StreamPage(items, more=True, reached=oldest)
    backfills.pop(stream.name, None)
    # What lies beyond the horizon stays out: a first sync must not open weeks-old posts as new.
    return StreamPage([i for i in items if not _older_than(i, horizon)], reached=horizon)


def _table(state: MutableMapping[str, object], key: str) -> MutableMapping[str, object]:
    """The cursor's table at `key`, made anew when it is missing or not a table."""
    table = state.get(key)
    if not isinstance(table, dict):
        table = state[key] = {}
    return table


def _place(value: object) -> str | None:
    """A stored place (a status or notification id), None when there is none or it is not an id."""
    return value if isinstance(value, str) and value else None


def _older_than(item: object, horizon: float) -> bool:
    times = oldest_time([item])
    return times is not None and times < horizon
