"""The desk's feed pane: reading pages of the current view in workers and moving the cursor through it.

`FeedActions` is a mixin for the desk screen (`socialdesk.screens.host.DeskHost`); the `FeedModel` holds
the window and its locks, this mixin only runs its reads in workers and shows what they return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from socialdesk import capabilities
from socialdesk.messages import WindowLoaded
from socialdesk.screens.host import HostScreen
from socialdesk.services import feed_window
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from socialdesk.services.feed_model import FeedModel, WindowOp
    from socialdesk.store.queries import PostFilter


class FeedActions(HostScreen):
    """Feed loading (top of a view, arrivals, the rows the list asks for) and the cursor keys."""

    model: FeedModel
    feed_filter: PostFilter
    # Set while the thread pane shows a post opened from elsewhere (see DetailActions).
    _pinned: bool

    @property
    def feed(self) -> FeedList:
        """The feed widget."""
        return self.query_one(FeedList)

    def refresh_feed(self) -> None:
        """Re-read the loaded rows (after a status change or tag) and show the bulk marks."""
        self.feed.marked = frozenset(self.marked_ids)
        self._feed_op(feed_window.reload)

    def reload_feed(self, order: str = "newest") -> None:
        """Load the top of the current filter."""
        flt = self.feed_filter
        self._pinned = False  # a new view: the thread pane follows its cursor again
        self.feed.cursor = 0
        self.feed.scroll_to(y=0, animate=False)
        self._reload(flt, order)

    @work(thread=True, group="feed", exit_on_error=False, description="Reading the feed")
    def _reload(self, flt: PostFilter, order: str) -> None:
        self.model.load_top(flt, order, lambda window: self.post_message(WindowLoaded(window)))

    @work(thread=True, group="feed", exit_on_error=False, description="Reading the feed")
    def _feed_op(self, op: WindowOp) -> None:
        window, shift = self.model.apply(op)
        self.post_message(WindowLoaded(window, shift))

    @work(thread=True, group="feed", exit_on_error=False, description="Reading the feed")
    def _ensure_rows(self, first: int, last: int) -> None:
        self.post_message(WindowLoaded(self.model.ensure(first, last)))

    def on_window_loaded(self, message: WindowLoaded) -> None:
        feed = self.feed
        feed.networks = capabilities.labels()  # a connector loaded since brings its glyph
        feed.show(message.window, message.shift)
        if message.shift > 0 and (feed.scroll_offset.y > 0 or feed.cursor > 0):
            self.query_one(StatusBar).new_count += message.shift
        self.show_position()

    def show_position(self) -> None:
        """The status bar's "row of total" for the cursor."""
        window = self.feed.window
        row = min(self.feed.cursor + 1, window.total)
        self.query_one(StatusBar).position = (row, window.total, window.exact)

    def on_feed_list_window_needed(self, message: FeedList.WindowNeeded) -> None:
        self._ensure_rows(message.first, message.last)

    # -- cursor keys ------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self._pinned = False
        self.feed.move(delta)

    def action_page(self, direction: int) -> None:
        self._pinned = False
        self.feed.page(direction)

    def action_top(self) -> None:
        self._pinned = False
        self.feed.top()
        self.query_one(StatusBar).new_count = 0

    def action_bottom(self) -> None:
        self._pinned = False
        # Show the last page read ahead, rather than wait for a worker to read it; if there is none
        # (or a worker holds the window), moving the cursor there makes the feed ask for the end.
        end = self.model.jump_to_end()
        if end is not None:
            self.feed.show(end)
        self.feed.bottom()
