"""The bounded feed window agrees with the full ordered feed wherever it is moved."""

from __future__ import annotations

from msgspec.structs import replace

from socialdesk.models import Author, Post
from socialdesk.services import feed_window as fw
from socialdesk.store import Store
from socialdesk.store.queries import ALL


def fill(store: Store, n: int, start: int = 0) -> None:
    store.upsert_posts(
        [Post("x", str(i), Author("a", "a"), f"t{i}", float(i // 2)) for i in range(start, start + n)]
    )


def ordered(store: Store) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM posts ORDER BY created_at DESC, id DESC")]


def check(store: Store, window: fw.Window) -> None:
    expected = ordered(store)
    assert window.total == len(expected)
    assert [r.id for r in window.rows] == expected[window.start : window.end]


def test_scrolling_down_and_up_and_jumping(store: Store) -> None:
    fill(store, 3000)
    window = fw.load_top(store.conn, ALL)
    check(store, window)
    for first in (150, 400, 900, 1500, 2000):
        window = fw.ensure(store.conn, window, first, first + 40)
        check(store, window)
        assert window.covers(first, first + 40)
        assert len(window.rows) <= fw.MAX_ROWS
    window = fw.ensure(store.conn, window, 2959, 2999)  # G
    check(store, window)
    window = fw.ensure(store.conn, window, 2700, 2740)  # scrolling back up from the bottom
    check(store, window)
    window = fw.ensure(store.conn, window, 0, 40)  # g
    check(store, window)


def test_far_jump_lands_near_the_requested_place(store: Store) -> None:
    fill(store, 5000)
    window = fw.ensure(store.conn, fw.load_top(store.conn, ALL), 2500, 2540)
    assert window.covers(2500, 2540)
    assert [r.id for r in window.rows] == ordered(store)[window.start : window.end] or abs(
        window.start - 2500
    ) < 300


def test_arrivals_shift_the_window(store: Store) -> None:
    fill(store, 500)
    window = fw.load_top(store.conn, ALL)
    fill(store, 7, start=10_000)  # newer than everything
    shifted, added = fw.arrivals(store.conn, window)
    assert added == 7
    check(store, shifted)
    top = fw.load_top(store.conn, ALL, size=400)
    deep = replace(top, start=260, rows=top.rows[260:400])  # a window that no longer holds the top
    fill(store, 3, start=20_000)
    moved, added = fw.arrivals(store.conn, deep)
    assert added == 3 and moved.start == deep.start + 3
    check(store, moved)


def test_the_last_page_read_ahead_lands_at_the_end_after_arrivals(store: Store) -> None:
    fill(store, 3000)
    window = fw.load_top(store.conn, ALL)
    last = fw.last_page(store.conn, window)
    assert last is not None
    check(store, last)
    fill(store, 5, start=10_000)  # newer posts arrive above: the oldest stay the oldest
    window = fw.arrivals(store.conn, window)[0]
    end = fw.at_end(window, last)
    assert end is not None and end.covers(window.total - 1, window.total - 1)
    check(store, end)


def test_no_last_page_when_the_window_reaches_the_end_or_the_view_differs(store: Store) -> None:
    fill(store, 50)
    window = fw.load_top(store.conn, ALL)
    assert fw.last_page(store.conn, window) is None  # the first page is the whole feed
    fill(store, 3000, start=100)
    big = fw.load_top(store.conn, ALL)
    last = fw.last_page(store.conn, big)
    assert last is not None
    assert fw.at_end(replace(big, order="queue"), last) is None
    assert fw.last_page(store.conn, replace(big, exact=False)) is None  # total not known yet


def test_a_window_opens_at_a_post_at_its_index_and_fills_upward(store: Store) -> None:
    fill(store, 1000)
    expected = ordered(store)
    target = expected[637]
    window = fw.load_at(store.conn, ALL, target)
    assert window is not None and window.start == 637 and window.rows[0].id == target
    check(store, window)
    window = fw.ensure(store.conn, window, 600, 640)  # the agent moves up from it
    check(store, window)
    assert window.covers(600, 640)
    assert fw.load_at(store.conn, ALL.and_(fw.PostFilter(("p.id != ?",), (target,))), target) is None


def test_a_window_holds_three_pages_however_far_the_agent_moves(store: Store) -> None:
    """The screen shows ~40 rows: the window keeps the viewport's page and one page either side."""
    fill(store, 3000)
    window = fw.load_top(store.conn, ALL)
    for first in range(0, 2900, 40):  # PgDn through the feed, one screen at a time
        window = fw.ensure(store.conn, window, first, first + 40)
        assert len(window.rows) <= 3 * fw.PAGE
        assert window.covers(first, first + 40)
    check(store, window)


def test_posts_arriving_at_the_top_never_grow_the_window_past_three_pages(store: Store) -> None:
    """A shift's arrivals while the agent reads the top: new rows come in, the oldest far ones go."""
    fill(store, 500)
    window = fw.load_top(store.conn, ALL)
    for batch in range(40):  # 1,000 posts arriving, 25 per sync
        fill(store, 25, start=10_000 + batch * 25)
        window, added = fw.arrivals(store.conn, window)
        assert added == 25
        assert len(window.rows) <= 3 * fw.PAGE
    check(store, window)
