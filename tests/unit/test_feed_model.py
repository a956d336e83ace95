"""The feed model owns the desk's window without Textual: first page, reloads, `G`, thread and customer."""

from __future__ import annotations

import threading

from socialdesk.models import Author, Post
from socialdesk.services import feed_window as fw
from socialdesk.services.feed_model import FIRST_PAGE, FeedModel
from socialdesk.store import Store
from socialdesk.store.queries import ALL
from socialdesk.viewmodels import Window


def fill(store: Store, n: int, start: int = 0, author: str = "a") -> None:
    store.upsert_posts(
        [Post("x", str(i), Author(author, author), f"t{i}", float(i)) for i in range(start, start + n)]
    )


def newest_first(store: Store) -> list[int]:
    return [r[0] for r in store.conn.execute("SELECT id FROM posts ORDER BY created_at DESC, id DESC")]


def test_the_preloaded_page_is_shown_once_and_counts_nothing(store: Store) -> None:
    fill(store, 500)
    model = FeedModel(store, ALL)
    model.preload()
    first = model.take_preloaded()
    assert first is not None and not first.exact and len(first.rows) == FIRST_PAGE
    assert model.take_preloaded() is None
    assert model.window is first


def test_the_preload_reads_the_first_screens_not_a_whole_page(store: Store) -> None:
    """Before the UI starts, only the rows of the first frame and of the feed's read-ahead below them are
    read (a page of 200 was 100 rows more than a 48-row terminal asks for); the window then grows by
    pages as the agent moves, as from any window."""
    fill(store, 500)
    model = FeedModel(store, ALL)
    model.preload()
    first = model.take_preloaded()
    assert first is not None and 2 * 48 <= len(first.rows) < fw.PAGE
    assert [row.id for row in first.rows] == newest_first(store)[: len(first.rows)]
    grown = model.ensure(len(first.rows) - 10, len(first.rows) + 50)
    assert [row.id for row in grown.rows] == newest_first(store)[grown.start : grown.start + len(grown.rows)]
    assert grown.start + len(grown.rows) >= len(first.rows) + 50


def test_the_preload_reads_the_first_posts_detail_too_once(store: Store) -> None:
    fill(store, 50)
    model = FeedModel(store, ALL)
    model.preload()
    first = model.take_preloaded()
    detail = model.take_preloaded_detail()
    assert first is not None and detail is not None
    assert detail.post_id == first.rows[0].id
    assert detail.thread is not None and detail.thread.thread.focus.id == first.rows[0].id
    assert model.take_preloaded_detail() is None


def test_load_top_shows_the_first_page_then_the_exact_total(store: Store) -> None:
    fill(store, 500)
    model = FeedModel(store, ALL)
    shown: list[Window] = []
    model.load_top(ALL, "newest", shown.append)
    assert [w.exact for w in shown] == [False, True]
    assert shown[-1].total == 500 and model.window is shown[-1]
    assert [r.id for r in shown[-1].rows] == newest_first(store)[: fw.PAGE]


def test_arrivals_shift_the_rows_and_g_lands_on_the_oldest(store: Store) -> None:
    fill(store, 500)
    model = FeedModel(store, ALL)
    model.load_top(ALL, "newest", lambda w: None)
    fill(store, 3, start=1000)
    window, shift = model.apply(fw.arrivals)
    assert shift == 3 and window.total == 503
    end = model.jump_to_end()
    assert end is not None and end.rows[-1].id == newest_first(store)[-1]
    assert end.start + len(end.rows) == 503


def test_g_never_waits_for_a_worker_holding_the_window(store: Store) -> None:
    fill(store, 500)
    model = FeedModel(store, ALL)
    model.load_top(ALL, "newest", lambda w: None)
    holding, release = threading.Event(), threading.Event()

    def slow_op(conn: object, window: Window) -> tuple[Window, int]:
        holding.set()
        release.wait()
        return window, 0

    worker = threading.Thread(target=model.apply, args=(slow_op,))
    worker.start()
    holding.wait()
    try:
        assert model.jump_to_end() is None
    finally:
        release.set()
        worker.join()
    assert model.jump_to_end() is not None


def test_ensure_moves_the_window_over_the_viewport(store: Store) -> None:
    fill(store, 3000)
    model = FeedModel(store, ALL)
    model.load_top(ALL, "newest", lambda w: None)
    window = model.ensure(1500, 1540)
    assert window.covers(1500, 1540) and model.window is window
    assert [r.id for r in window.rows] == newest_first(store)[window.start : window.end]


def test_detail_reads_thread_draft_and_customer_history_in_pages(store: Store) -> None:
    fill(store, 120, author="jane")
    model = FeedModel(store, ALL)
    post_id = newest_first(store)[0]
    store.save_draft(post_id, "Sorry Jane")
    detail = model.load_detail(post_id)
    assert detail.thread is not None and detail.thread.thread.focus.id == post_id
    assert detail.draft == "Sorry Jane"
    assert detail.customer is not None and len(detail.customer.history) == 50 and detail.customer.more
    more = model.more_history(detail.customer)
    assert len(more.history) == 100 and len({p.id for p in more.history}) == 100
    assert model.load_detail(10**9).thread is None
