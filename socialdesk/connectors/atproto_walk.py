"""Paging an AT Protocol list (notifications, search) back to the last sync's mark, one page a call.

XRPC lists come newest first with an opaque cursor. A walk starts at the newest item and goes back
page by page until it meets the mark the previous walk left, the backfill horizon, or the end of
the list. Its state lives in the connector's persisted cursor, so each page is stored with the
state that resumes after it, and a walk interrupted by a crash or a closed desk goes on where it
stopped. The mark moves only when a walk ends: what arrives during a walk is newer than its mark.

Two things the appview does that a naive walk loses posts to (@atproto/bsky's data plane):
- The notifications cursor is the last item's `sortAt` alone and the next page is `sortAt <
  cursor`, so the rest of that millisecond is skipped. When the cursor is a bare time, the walk
  asks from a millisecond later instead and drops what it has already read. A page that is all one
  millisecond (a client writing createdAt in whole seconds, posting fast) is asked again as the
  largest page the lexicon allows; past that, what the millisecond holds beyond it is out of reach
  and the walk says so.
- `sortAt` is the earlier of the indexing time and the client's `createdAt`, so a post can appear
  a little older than one read before it. The mark keeps the uris of its last OVERLAP seconds, and
  a walk reads that far past the mark's time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from socialdesk.connectors.http import parse_time

OVERLAP = 120.0  # seconds read again past the mark: posts indexed late, under an earlier time
MAX_LIMIT = 100  # the largest page the lexicons allow


class Step(msgspec.Struct):
    """What one page gave: the items to keep, whether the walk ended and how far back it read."""

    new: list[Any] = msgspec.field(default_factory=list)
    done: bool = False
    oldest: float | None = None  # the oldest time read on this page
    horizon_hit: bool = False  # the walk stopped at the backfill horizon, not at the mark
    reached: float | None = None  # a first walk: the time back to which nothing is missing
    crowded: float | None = None  # a millisecond holding more than MAX_LIMIT items: some unread


def _time(item: object) -> float | None:
    """When the appview indexed an item (None: it says no time, or not one we can read)."""
    if not isinstance(item, dict):
        return None
    try:
        return parse_time(item.get("indexedAt"))
    except ValueError:
        return None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bare_time(cursor: str) -> float | None:
    """The time a cursor names when it is nothing but an ISO time (the appview's notifications)."""
    if "T" not in cursor or "_" in cursor or ":" not in cursor:
        return None
    try:
        return parse_time(cursor)
    except ValueError:
        return None


def _recent(seen: dict[str, float], newest: float) -> list[list[Any]]:
    return sorted([uri, at] for uri, at in seen.items() if at >= newest - OVERLAP)


def limit(state: dict[str, Any], page_size: int) -> int:
    """How many items the stream's next request asks for."""
    return int((state.get("walk") or {}).get("l") or page_size)


def step(
    state: dict[str, Any], items: list[Any], next_cursor: str | None, horizon: float, asked: int = 0
) -> tuple[Step, dict[str, Any]]:
    """Take one page of a walk and return what it gave and the stream's next state.

    Args:
        state: the stream's persisted state: {"mark": {at, seen}, "walk": {c, top, seen}}, either
            absent. `seen` lists [uri, time] pairs read in the last OVERLAP seconds before `at`/edge.
        items: the page, newest first; an item without a readable `indexedAt` is kept (the caller
            quarantines it).
        next_cursor: the list's cursor for the following page (None: the list ends here).
        horizon: unix seconds; items older than this are left out and end the walk.
        asked: the limit the page was requested with (see `limit`).
    """
    mark = state.get("mark") or None
    walk = dict(state.get("walk") or {})
    known = {str(u): float(t) for u, t in (mark or {}).get("seen") or []}
    stop_at = float(mark["at"]) - OVERLAP if mark else None
    read = {str(u): float(t) for u, t in walk.get("seen") or []}  # this walk's edge
    top = walk.get("top")
    out = Step()
    reached = False
    for item in items:
        at, uri = _time(item), str(item.get("uri") if isinstance(item, dict) else "")
        if at is None:
            out.new.append(item)
            continue
        out.oldest = at if out.oldest is None else min(out.oldest, at)
        if uri in read:
            continue
        read[uri] = at
        if stop_at is not None and at < stop_at:
            reached = True
            continue
        if uri in known:
            continue
        if at < horizon:
            reached = out.horizon_hit = True
            continue
        out.new.append(item)
        top = max(top or at, at)
    request = walk.get("c")
    following: dict[str, Any] = {}
    ask, wider = next_cursor, False
    if next_cursor and (edge := _bare_time(next_cursor)) is not None:
        # Ask from a millisecond later: the rest of the edge's millisecond comes again, and what
        # was already read is dropped above. A page that was all the edge's millisecond is asked
        # again as the largest page; when that is still all of it, the server's cursor goes on
        # past the millisecond, and what it held beyond that page is never read.
        later = _iso(edge + 0.001)
        if later != request:
            ask = later
        elif asked < MAX_LIMIT:
            ask, wider = request, True
        else:
            out.crowded = edge
    out.done = reached or not ask
    if not mark:  # a first walk: a backfill down to the horizon
        out.reached = horizon if out.done else out.oldest
    if out.done:
        if top is not None or mark:
            newest = max(float(top or 0), float(mark["at"]) if mark else 0.0)
            merged = {**known, **read}
            following["mark"] = {"at": newest, "seen": _recent(merged, newest)}
    else:
        if mark:
            following["mark"] = mark
        edge_at = min((t for t in read.values()), default=None)
        keep = {u: t for u, t in read.items() if edge_at is not None and t <= edge_at + 0.001}
        if mark:  # what the mark needs to know when the walk ends
            keep |= {u: t for u, t in read.items() if t >= float(mark["at"]) - OVERLAP}
        if top is not None:
            keep |= {u: t for u, t in read.items() if t >= float(top) - OVERLAP}
        following["walk"] = {"c": ask, "seen": sorted([u, t] for u, t in keep.items())}
        if wider:
            following["walk"]["l"] = MAX_LIMIT
        if top is not None:
            following["walk"]["top"] = top
    return out, following


def from_legacy(state: object) -> dict[str, Any]:
    """A stream state from a cursor written before walks (the bare mark {at, uris}) or now."""
    if not isinstance(state, dict):
        return {}
    if "at" in state:
        at = float(state["at"])
        return {"mark": {"at": at, "seen": [[str(u), at] for u in state.get("uris") or []]}}
    return state
