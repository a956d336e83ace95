"""The desk's feed and detail state without Textual: the window of rows the feed shows, and its reads.

The screen draws; this model owns what it draws from. Its methods run in the screen's thread workers
(and the preload before the UI starts) and return what the screen then shows, so every rule about the
window (one writer at a time, the last page read ahead for `G`, a preloaded first page) lives here and
is tested without Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import msgspec
from msgspec.structs import replace

from socialdesk.models import PostRow
from socialdesk.services import feed_window, media, personal_data, profile
from socialdesk.services.conversations import ticket_of_thread
from socialdesk.store import Store, customer_fields, queries, thread_replies, tickets
from socialdesk.store.queries import INBOUND, PostFilter
from socialdesk.viewmodels import CustomerView, ThreadDetail, Window

HISTORY_PAGE = 50
# The rows read before the UI starts: the first frame's and the feed's read-ahead of a screen below them,
# on a terminal up to 50 rows tall. The full page comes with the read that follows that frame.
FIRST_PAGE = 100

# A change to the window: given the connection and the current window, the new one and how many rows
# arrived above it (the screen keeps the agent's cursor on the same post).
WindowOp = Callable[..., tuple[Window, int]]


class Detail(msgspec.Struct, frozen=True):
    """What the middle and right panes show for one post."""

    post_id: int
    thread: ThreadDetail | None
    draft: str
    customer: CustomerView | None


class FeedModel:
    """The feed window over the cache, moved by keyset pages; safe to use from worker threads."""

    def __init__(self, store: Store, flt: PostFilter = INBOUND) -> None:
        self.store = store
        self.filter = flt
        self._window = Window(flt=flt)
        self._lock = threading.Lock()
        self._preloaded: Window | None = None
        self._preloaded_detail: Detail | None = None
        self._last_page: Window | None = None  # the feed's end, read ahead for `G`
        self.phone_regions: tuple[str, ...] = personal_data.DEFAULT_REGIONS  # config: privacy
        self.crm_template = ""  # config: customers.crm_link

    @property
    def window(self) -> Window:
        """The rows the feed shows now."""
        return self._window

    # -- the first page --------------------------------------------------------------------------

    def preload(self) -> None:
        """Read the first page and its first post's detail now, before the UI exists (no full count).

        The first frame then shows the whole desk: the feed, and the thread, composer and customer of
        the post under the cursor, which would otherwise wait for a worker after the first frame.
        """
        first = feed_window.load_top(self.store.conn, self.filter, size=FIRST_PAGE, count=False)
        self._window = self._preloaded = first
        if first.rows:
            self._preloaded_detail = self.load_detail(first.rows[0].id)

    def take_preloaded_detail(self) -> Detail | None:
        """The detail read by `preload`, once."""
        detail, self._preloaded_detail = self._preloaded_detail, None
        return detail

    def take_preloaded(self) -> Window | None:
        """The page read by `preload`, once (the feed is read again when the screen is mounted)."""
        first, self._preloaded = self._preloaded, None
        return first

    # -- reads (called from workers) -------------------------------------------------------------

    def load_top(self, flt: PostFilter, order: str, show: Callable[[Window], object]) -> None:
        """Read the top of `flt`: `show` gets the first page at once, then the window with its total.

        The full count takes tens of ms on a million posts: the first page is painted before it.
        """
        with self._lock:
            conn = self.store.conn
            self.filter = flt
            first = self._window = feed_window.load_top(conn, flt, order=order, count=False)
            show(first)
            final = self._window = feed_window.with_total(conn, first)
        show(final)
        self._last_page = feed_window.last_page(conn, final)

    def load_at(self, flt: PostFilter, order: str, post_id: int) -> Window | None:
        """Make the window the view `flt` from the post `post_id` on (None, unchanged: not in the view)."""
        with self._lock:
            conn = self.store.conn
            window = feed_window.load_at(conn, flt, post_id, order)
            if window is None:
                return None
            self.filter, self._window = flt, window
        self._last_page = feed_window.last_page(conn, window)
        return window

    def apply(self, op: WindowOp, keeps_end: bool = False) -> tuple[Window, int]:
        """Change the window with `op` (reload, arrivals, ensure ...); returns it and the rows that arrived.

        Args:
            op: the change, `op(conn, window) -> (window, shift)`.
            keeps_end: the feed's rows did not change (only the window moved), so the last page read
                ahead stays valid.
        """
        with self._lock:
            window, shift = op(self.store.conn, self._window)
            self._window = window
        if not keeps_end:  # rows changed or arrived: the last page read ahead may be stale
            self._last_page = feed_window.last_page(self.store.conn, window)
        return window, shift

    def ensure(self, first: int, last: int) -> Window:
        """A window covering rows first..last (the viewport and a margin)."""
        window, _ = self.apply(lambda conn, w: (feed_window.ensure(conn, w, first, last), 0), keeps_end=True)
        return window

    # -- on the UI thread --------------------------------------------------------------------------

    def jump_to_end(self) -> Window | None:
        """The last page read ahead, now the window (for `G`), or None if a worker holds the window.

        Never waits: on the UI thread a key must not block on a page being read; the caller then moves
        the cursor and the usual path reads the end.
        """
        end = feed_window.at_end(self._window, self._last_page)
        if end is None or not self._lock.acquire(blocking=False):
            return None
        try:
            self._window = end
        finally:
            self._lock.release()
        return end

    def index_of(self, post_id: int) -> int | None:
        """The feed index of a post among the loaded rows, if it is loaded."""
        return self._window.index_of(post_id)

    # -- thread and customer ---------------------------------------------------------------------

    def load_detail(self, post_id: int) -> Detail:
        """A post's thread (with our replies and notes), its draft, and its customer's first history page."""
        conn = self.store.conn
        thread = queries.thread(conn, post_id)
        view = None
        customer_view = None
        if thread is not None:
            ids = [p.id for p in thread.posts]
            ticket = ticket_of_thread(self.store, thread)
            merged = tuple(tickets.merged_with(conn, ticket))
            view = ThreadDetail(
                thread,
                thread_replies.in_threads(conn, ids),
                queries.notes_on(conn, ids),
                limits=self.store.limits(thread.focus.account),
                personal_data=self._personal_data(thread.focus),
                ticket=tickets.label(ticket),
                merged=tuple(tickets.label(t) for t in merged),
                merged_posts=tuple(
                    (tickets.label(other), tuple(posts))
                    for other, posts in tickets.merged_conversations(conn, ticket, thread.focus)
                ),
                media=media.attachments(thread.focus.network, queries.raw_payload(conn, post_id)),
            )  # the similar posts follow from a worker of their own (the desk's PatternActions)
            if thread.focus.customer_id is not None:
                customer = queries.customer(conn, thread.focus.customer_id)
                if customer is not None:
                    page = queries.customer_history(conn, customer.id, limit=HISTORY_PAGE)
                    fields = customer_fields.read(conn, customer.id)
                    customer_view = CustomerView(
                        customer,
                        tuple(page.rows),
                        page.more,
                        fields=tuple((profile.LABELS[n], fields[n]) for n in profile.LABELS if n in fields),
                        crm_url=profile.crm_link(
                            self.crm_template, fields, thread.focus.author_handle, customer.id
                        ),
                    )
        return Detail(post_id, view, self.store.draft(post_id), customer_view)

    def _personal_data(self, post: PostRow) -> str:
        """What personal data a customer posted where everyone can read it ("" for DMs and our posts)."""
        if post.is_ours or post.kind == "dm":
            return ""
        return personal_data.summary(personal_data.find(post.text, self.phone_regions))

    def more_history(self, view: CustomerView) -> CustomerView:
        """The customer card with the next (older) page of their history appended."""
        page = queries.customer_history(
            self.store.conn, view.customer.id, after=queries.key_of(view.history[-1]), limit=HISTORY_PAGE
        )
        return replace(view, history=view.history + tuple(page.rows), more=page.more)
