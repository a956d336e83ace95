"""Where the agent left the desk: kept as they move, the view and the row opened again at the next start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from socialdesk.screens.feed_actions import FeedActions
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.queue_tabs import QueueTabs

if TYPE_CHECKING:
    from textual.timer import Timer

    from socialdesk.services.queue import SavedQueue
    from socialdesk.viewmodels import Window

PLACE_DELAY = 1.0  # seconds the cursor rests on a row before the place is written


class PlaceRead(Message):
    """Where the agent left the desk, read back: the saved queue (None: All) and a window at the row."""

    def __init__(self, queue: SavedQueue | None, window: Window | None) -> None:
        super().__init__()
        self.queue = queue
        self.window = window


class PlaceActions(FeedActions):
    """`restore_place` opens the view and row saved last; resting on a row saves it (per agent)."""

    triage_queue: SavedQueue | None
    if TYPE_CHECKING:  # TriageActions reads them from the playbook

        @property
        def triage_queues(self) -> list[SavedQueue]: ...

    view_title: str
    _place_timer: Timer | None = None
    _place_restored = False  # nothing is saved before the saved place is read back

    def restore_place(self) -> None:
        """Open the saved queue at the saved row; the top of All when nothing (or nothing valid) is saved."""
        self._read_place()

    @work(thread=True, group="feed", exit_on_error=False, description="Going back to where you were")
    def _read_place(self) -> None:
        from socialdesk.store.place import load_place
        from socialdesk.store.queries import INBOUND

        agent = self.ctx.agent.name
        place = load_place(self.ctx.store.conn, agent)
        queue = None
        if place is not None and place.queue is not None:
            queue = next((q for q in self.triage_queues if q.key == place.queue), None)
        window = None
        if place is not None and place.post_id is not None:
            flt = queue.filter(agent) if queue is not None else INBOUND
            window = self.model.load_at(flt, "queue" if queue is not None else "newest", place.post_id)
        self.post_message(PlaceRead(queue, window))

    def on_place_read(self, message: PlaceRead) -> None:
        queue, window = message.queue, message.window
        self._place_restored = True
        if queue is not None:
            self.triage_queue = queue
            self.set_feed_filter(queue.filter(self.ctx.agent.name), queue.name, queue_order=True, read=False)
            for tabs in self.query(QueueTabs):
                tabs.active = queue.name
        if window is None:
            if queue is None:
                # The view the first frame showed, read again for its exact total: the agent may already
                # be moving through it (a cursor put back to the top lost the keys pressed meanwhile).
                self._reload(self.feed_filter, "newest")
            else:
                self.reload_feed(order="queue")
            return
        self._pinned = False
        self.feed.show(window)
        self.feed.cursor = window.start
        self.show_position()

    def on_feed_list_highlighted(self, message: FeedList.Highlighted) -> None:
        # DetailActions has a handler of this name too: Textual calls each class's along the MRO.
        if not self._place_restored:
            return
        if self._place_timer is not None:
            self._place_timer.stop()
        queue = self.triage_queue
        key = queue.key if queue is not None and self.view_title == queue.name else None
        post_id = message.post.id if message.post is not None else None
        self._place_timer = self.set_timer(PLACE_DELAY, lambda: self._save_place(key, post_id))

    @work(thread=True, group="place", exit_on_error=False, description="Remembering where you are")
    def _save_place(self, queue: int | None, post_id: int | None) -> None:
        from socialdesk.store.place import Place, save_place

        clock = getattr(self.app, "clock", None)
        save_place(self.ctx.store.conn, self.ctx.agent.name, Place(queue, post_id), clock() if clock else 0.0)
