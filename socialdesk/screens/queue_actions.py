"""The desk's saved queues: the playbook's queues, their number keys and tabs, and their live counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.screens.host import HostScreen
from socialdesk.widgets.queue_tabs import QueueTabs

if TYPE_CHECKING:
    from socialdesk.services.queue import SavedQueue
    from socialdesk.store import PostFilter


class QueueCountsLoaded(Message):
    """A count of the saved queues ended: their live counts, or None if it failed."""

    def __init__(self, counts: dict[str, int] | None) -> None:
        super().__init__()
        self.counts = counts


class QueueActions(HostScreen):
    """The saved queues of the desk screen (`self` is a `screens.host.DeskHost`); part of `TriageActions`."""

    _triage_queues: list[SavedQueue] | None = None
    triage_queue: SavedQueue | None = None
    _counting = False  # a count runs in a worker
    _count_again = False  # something changed the counts while it ran

    @property
    def triage_queues(self) -> list[SavedQueue]:
        """The playbook's saved queues (read once; the last good playbook's when the file is broken)."""
        if self._triage_queues is None:
            from socialdesk.services.playbook_keeper import keeper_for
            from socialdesk.services.queue import load_queues

            try:
                self._triage_queues = load_queues(keeper_for(self.ctx).current().playbook)
            except UserError as exc:
                self.notify(str(exc), severity="error", markup=False)
                self._triage_queues = load_queues(None)
        return self._triage_queues

    def _triage_filter(self) -> PostFilter | None:
        queue = self.triage_queue
        return queue.filter(self.ctx.agent.name) if queue is not None else None

    def action_triage_queue(self, key: int) -> None:
        """Show the saved queue with number key `key`, in queue order."""
        queue = next((q for q in self.triage_queues if q.key == key), None)
        if queue is None:
            return
        self.triage_queue = queue
        self.set_feed_filter(queue.filter(self.ctx.agent.name), queue.name, True)
        for tabs in self.query(QueueTabs):
            tabs.active = queue.name

    def refresh_queue_counts(self) -> None:
        """Count every saved queue in a worker; posts QueueCountsLoaded (QueueTabs on the screen update).

        One count runs at a time: a thread cannot be cancelled, and counts started on every sync piled up
        in the worker pool, competing with the keys for the CPU. A call while one runs asks for one more
        after it. The first call also reads the playbook's queues there, so the desk's first frame (which
        shows the tab strip empty) does not wait for it.
        """
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        ctx = self.ctx

        def job() -> None:
            from socialdesk.services.queue import QueueService

            counts = None
            try:
                counts = QueueService(ctx.store, ctx.agent).counts(self.triage_queues)
            finally:
                self.post_message(QueueCountsLoaded(counts))

        self.run_worker(
            job, thread=True, group="queue-counts", exit_on_error=False, description="Counting queues"
        )

    def on_queue_counts_loaded(self, message: QueueCountsLoaded) -> None:
        self._counting = False
        if message.counts is not None:
            for tabs in self.query(QueueTabs):
                tabs.show(self.triage_queues, message.counts)
        if self._count_again:
            self._count_again = False
            self.refresh_queue_counts()

    def on_queue_tabs_queue_chosen(self, message: QueueTabs.QueueChosen) -> None:
        if self.triage_queue is None or self.triage_queue.key != message.key:
            self.action_triage_queue(message.key)
