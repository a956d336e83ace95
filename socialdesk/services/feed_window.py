"""A bounded, contiguous window of feed rows around the agent's position, moved by keyset pages.

The feed may hold millions of posts; the screen only ever holds `MAX_ROWS` of them. A window knows
the absolute index of its first row and the total, so a virtual list can draw a scrollbar, and it
grows or slides one keyset page at a time as the agent moves.
"""

from __future__ import annotations

import sqlite3

from msgspec.structs import replace

from socialdesk.models import PostRow
from socialdesk.store import queries
from socialdesk.store.queries import PostFilter, key_of
from socialdesk.viewmodels import Window

PAGE = 200
# The viewport's page and one either side: neither a shift's arrivals nor a long scroll keeps more
# (a larger window was most of what a soak's Python heap grew by after its warm-up; README, "Soak").
MAX_ROWS = 3 * PAGE
MARGIN = 60  # extend when the viewport comes this close to a window edge


def _page(
    conn: sqlite3.Connection, window: Window, after: PostRow | None, limit: int, oldest_first: bool = False
) -> queries.Page:
    """One keyset page in the window's order."""
    if window.order == "queue":
        from socialdesk.store import queue_queries

        return queue_queries.queue_page(conn, window.flt, after=after, limit=limit, oldest_first=oldest_first)
    key = key_of(after) if after is not None else None
    return queries.feed_page(conn, window.flt, after=key, limit=limit, oldest_first=oldest_first)


def load_top(
    conn: sqlite3.Connection,
    flt: PostFilter,
    size: int = PAGE,
    order: str = "newest",
    count: bool = True,
) -> Window:
    """The first rows of a feed (the newest, or the most urgent in queue order).

    With `count=False` the total is left at what was read (plus one if more exist), so the first page
    can be painted before the full count (tens of ms on a million posts) arrives via `with_total`.
    """
    window = Window(flt=flt, order=order)
    page = _page(conn, window, None, size)
    total = len(page.rows)
    if page.more:
        total = queries.count(conn, flt) if count else total + 1
    return replace(window, total=total, rows=tuple(page.rows), exact=count or not page.more)


def load_at(conn: sqlite3.Connection, flt: PostFilter, post_id: int, order: str = "newest") -> Window | None:
    """A window of `flt` whose first row is the post `post_id`, at its index (None: not in the view).

    Its index is the count of the rows before it in the view's order (keyset conditions, no OFFSET);
    the rows above it are read as the agent moves up, as for any window.
    """
    post = queries.get_post(conn, post_id)
    if post is None or not queries.count(conn, flt.and_(PostFilter(("p.id = ?",), (post_id,)))):
        return None
    if order == "queue":
        from socialdesk.store.queue_queries import QueueKey, queue_order_before

        index = queries.count(conn, flt.and_(queue_order_before(QueueKey.of(post))))
    else:
        index = queries.count_newer(conn, flt, key_of(post))
    window = Window(flt=flt, order=order)
    rows = (post, *_page(conn, window, post, PAGE).rows)
    return replace(window, total=queries.count(conn, flt), start=index, rows=rows)


def with_total(conn: sqlite3.Connection, window: Window) -> Window:
    """The same window with its exact total."""
    return replace(window, total=max(queries.count(conn, window.flt), window.end), exact=True)


def load_bottom(
    conn: sqlite3.Connection,
    flt: PostFilter,
    size: int = PAGE,
    order: str = "newest",
    total: int | None = None,
) -> Window:
    """The last rows of a feed (for `G`); `total`, when the caller knows it, saves a full count."""
    window = Window(flt=flt, order=order)
    page = _page(conn, window, None, size, oldest_first=True)
    if total is None or total < len(page.rows):
        total = queries.count(conn, flt) if page.more else len(page.rows)
    return replace(window, total=total, start=total - len(page.rows), rows=tuple(page.rows))


def last_page(conn: sqlite3.Connection, window: Window) -> Window | None:
    """The last page of `window`'s feed, read ahead so `G` shows it at once (None: nothing to read).

    Only worth reading when the exact total is known and the window does not already reach the end.
    """
    if not window.exact or window.total == 0 or window.covers(window.total - 1, window.total - 1):
        return None
    return load_bottom(conn, window.flt, order=window.order, total=window.total)


def at_end(window: Window, last: Window | None) -> Window | None:
    """A last page read earlier, placed at the end of `window`'s feed; None if it is for another view."""
    if last is None or not window.exact or last.flt != window.flt or last.order != window.order:
        return None
    return replace(last, total=window.total, start=max(0, window.total - len(last.rows)))


def reload(conn: sqlite3.Connection, window: Window) -> tuple[Window, int]:
    """The same rows re-read (statuses, tags and badges may have changed; the set of rows may too).

    Returns the window and how far its first row moved down (posts that arrived above it), so the
    screen can keep the cursor on the same post. The start is recounted rather than kept, because the
    total is: keeping one and recounting the other would let every later index drift.
    """
    if not window.rows:
        return load_top(conn, window.flt, order=window.order), 0
    first = window.rows[0]
    page = _page(conn, window, first, len(window.rows) - 1)
    total = queries.count(conn, window.flt)
    fresh = queries.get_post(conn, first.id)
    rows = ((fresh,) if fresh is not None else ()) + tuple(page.rows)
    start = window.start
    if window.order == "newest" and fresh is not None:
        start = queries.count_newer(conn, window.flt, key_of(fresh))
    start = min(start, max(0, total - len(rows)))
    return replace(window, total=total, start=start, rows=rows), start - window.start


def ensure(conn: sqlite3.Connection, window: Window, first: int, last: int) -> Window:
    """A window that covers rows first..last (the viewport plus a margin), moving by keyset pages.

    Far jumps (beyond a few pages from the loaded rows) restart from the nearer end of the feed,
    because keyset paging cannot seek to an arbitrary index without reading everything before it.
    """
    first, last = max(0, first - MARGIN), min(window.total - 1, last + MARGIN)
    if window.total == 0 or window.covers(first, last):
        return window
    if not window.rows or first > window.end + 3 * PAGE or last < window.start - 3 * PAGE:
        if last >= window.total - PAGE * 2:
            return load_bottom(
                conn,
                window.flt,
                max(PAGE, last - first + 1),
                window.order,
                total=window.total,
            )
        if first <= PAGE * 2 or window.order != "newest":
            return load_top(conn, window.flt, max(PAGE, last + 1), window.order)
        return _seek(conn, window, first)
    rows = list(window.rows)
    start = window.start
    while start + len(rows) <= last and start + len(rows) < window.total:
        page = _page(conn, window, rows[-1], PAGE)
        if not page.rows:
            break
        rows.extend(page.rows)
    while start > first and rows:
        page = _page(conn, window, rows[0], PAGE, oldest_first=True)
        if not page.rows:
            break
        rows[:0] = page.rows
        start -= len(page.rows)
    start = max(0, start)
    # Keep the window bounded: drop rows far from the viewport on the side it moved away from.
    if len(rows) > MAX_ROWS:
        centre = (first + last) // 2
        keep_from = max(start, min(centre - MAX_ROWS // 2, start + len(rows) - MAX_ROWS))
        rows = rows[keep_from - start : keep_from - start + MAX_ROWS]
        start = keep_from
    return replace(window, start=start, rows=tuple(rows))


def _seek(conn: sqlite3.Connection, window: Window, index: int) -> Window:
    """Jump to about `index` by interpolating its time between the feed's newest and oldest posts."""
    newest = queries.feed_page(conn, window.flt, limit=1).rows
    oldest = queries.feed_page(conn, window.flt, limit=1, oldest_first=True).rows
    if not newest or not oldest:
        return load_top(conn, window.flt)
    fraction = index / max(1, window.total - 1)
    at = newest[0].created_at - fraction * (newest[0].created_at - oldest[0].created_at)
    page = queries.feed_page(conn, window.flt, after=queries.PageKey(at, 2**62), limit=PAGE)
    return replace(window, start=min(index, window.total - len(page.rows)), rows=tuple(page.rows))


def arrivals(conn: sqlite3.Connection, window: Window) -> tuple[Window, int]:
    """Account for posts that arrived above the window's top row.

    Returns the shifted window (its rows keep their identity; their indexes move down) and how many
    new posts sort above it, so the screen can keep the agent's cursor on the same post.
    """
    if not window.rows or window.order != "newest":
        return reload(conn, window)
    newer = queries.count_newer(conn, window.flt, key_of(window.rows[0]))
    above = window.start  # rows that were above the window before
    added = newer - above
    if added <= 0:
        return window, 0
    shifted = replace(window, start=window.start + added, total=window.total + added)
    if window.start == 0:
        # The agent is near the top: load the new rows so scrolling up shows them without a wait.
        page = queries.feed_page(
            conn, window.flt, after=key_of(window.rows[0]), limit=added, oldest_first=True
        )
        rows = (*page.rows, *window.rows)[:MAX_ROWS]
        shifted = replace(shifted, start=window.start + added - len(page.rows), rows=rows)
    return shifted, added


def replace_rows(window: Window, updated: dict[int, PostRow]) -> Window:
    """The same window with some rows refreshed (after a status change, a new tag ...)."""
    if not updated:
        return window
    return replace(window, rows=tuple(updated.get(r.id, r) for r in window.rows))
