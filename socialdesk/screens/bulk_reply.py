"""One canned reply to every post of a similar-posts queue: picked once, then reviewed post by post.

After `C` has opened a post's similar posts, `R` asks for a canned reply (the macro picker; prompts
are answered once) and shows the review of each post's own reply in turn (its customer's name, its
mentions): `y` queues that one to the outbox with the undo window, `e` skips it. Nothing is sent
unreviewed, and each reply goes through the outbox like any other (escalated posts wait for approval).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.message import Message

from socialdesk.screens.pattern_actions import PatternActions
from socialdesk.screens.reply_actions import ReplyActions
from socialdesk.screens.reply_send import final_text

if TYPE_CHECKING:
    from socialdesk.models import PostRow

BULK_BINDINGS = [
    Binding("R", "similar_reply", "Reply to all similar", show=False, id="similar.reply"),
]


class ClusterLoaded(Message):
    """The similar-posts queue's posts were read, for the bulk reply with `template`."""

    def __init__(self, posts: Sequence[PostRow], template: str, tickets: dict[int, str]) -> None:
        super().__init__()
        self.posts = posts
        self.template = template
        self.tickets = tickets  # post id -> its conversation's ticket ("T-1042"), for {ticket}


class BulkReplyActions(ReplyActions, PatternActions):
    """`R`: one canned reply to every post of the similar-posts queue, each reviewed."""

    _bulk: list[PostRow] | None = None
    _bulk_template = ""
    _bulk_total = 0
    _bulk_queued = 0
    _bulk_tickets: dict[int, str]  # set with the cluster, before its first review

    def action_similar_reply(self) -> None:
        """Pick a canned reply for every post of the similar-posts queue on screen."""
        from socialdesk.screens.macro_picker import MacroPickerScreen
        from socialdesk.services.macros import values_for

        title, ids = self.similar_queue
        if not ids or getattr(self, "view_title", None) != title:
            self.notify("Open a post's similar posts with C first", severity="warning")
            return
        macros = self.usable_macros()
        if macros is None:
            return

        def picked(template: str | None) -> None:
            if template:
                self._load_cluster(ids, template)

        values = values_for(self.selected_post, self.ctx.agent)  # the preview's; each post gets its own
        self.app.push_screen(
            MacroPickerScreen(macros, values, keep_variables=True, title=self.macros_title(macros)), picked
        )

    def _load_cluster(self, ids: Sequence[int], template: str) -> None:
        store = self.ctx.store

        def work() -> None:
            from socialdesk.services.conversations import ticket_label
            from socialdesk.store.queries import get_post

            posts = [p for p in (get_post(store.conn, i) for i in ids) if p is not None and not p.is_ours]
            posts.sort(key=lambda p: (-p.created_at, p.id))  # the queue's order: newest first
            quoted = "{ticket}" in template  # given only when the reply tells the customer
            numbers = {p.id: ticket_label(store, p.id) for p in posts} if quoted else {}
            self.post_message(ClusterLoaded(posts, template, numbers))

        self.run_worker(work, thread=True, exit_on_error=False, group="reply", description="read the cluster")

    def on_cluster_loaded(self, message: ClusterLoaded) -> None:
        self._bulk = list(message.posts)
        self._bulk_tickets = message.tickets
        self._bulk_template = message.template
        self._bulk_total = len(message.posts)
        self._bulk_queued = 0
        self._review_next()

    def _review_next(self) -> None:
        from socialdesk.screens.review import ReviewScreen
        from socialdesk.services.macros import fill, values_for

        if not self._bulk:
            self._bulk = None
            self.notify(f"Bulk reply: {self._bulk_queued} of {self._bulk_total} replies queued")
            return
        post = self._bulk.pop(0)
        number = self._bulk_total - len(self._bulk)
        values = values_for(post, self.ctx.agent, self._bulk_tickets.get(post.id, ""))
        final = final_text(post, fill(self._bulk_template, values))
        held = " · escalated: held until an approver approves it" if post.status == "escalated" else ""
        note = f"Reply {number} of {self._bulk_total} to the similar posts: y sends it, e skips it{held}"
        data = self._public_review(post, final, note)

        def reviewed(ok: bool | None) -> None:
            if ok:
                self._bulk_queued += 1
                self._queue(post, [final], dm=False)
            self._review_next()

        self.app.push_screen(ReviewScreen(data), reviewed)
