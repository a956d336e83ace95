"""The desk's thread, composer and customer panes: what they show follows the feed's cursor.

`DetailActions` is a mixin for the desk screen (`socialdesk.screens.host.DeskHost`): it reads the
selected post's thread, draft and customer in workers (`FeedModel.load_detail`) and sets the panes'
attributes from the result messages; drafts are saved as the agent types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec.structs import replace
from textual import work
from textual.message import Message

from socialdesk import capabilities
from socialdesk.messages import CustomerLoaded, DraftSaved, ThreadLoaded
from socialdesk.screens.feed_actions import FeedActions
from socialdesk.screens.reply_send import final_text
from socialdesk.widgets.composer import NO_NETWORK, Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.status_bar import StatusBar
from socialdesk.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from textual.timer import Timer

    from socialdesk.models import PostRow, Thread
    from socialdesk.viewmodels import CustomerView, ThreadDetail

DETAIL_DELAY = 0.06  # seconds the cursor must rest before the thread loads (holding j stays smooth)
DRAFT_DELAY = 0.5


class ThreadShown(Message):
    """The thread pane shows a post's thread (what depends on the post may now be looked up)."""

    def __init__(self, focus: PostRow) -> None:
        super().__init__()
        self.focus = focus


def reply_target(thread: Thread) -> PostRow | None:
    """The customer post a reply from this thread goes to: the one our focus post answers, else the latest."""
    customers = [p for p in thread.posts if not p.is_ours]
    parent = next((p for p in customers if p.native_id == thread.focus.in_reply_to), None)
    return parent or (customers[-1] if customers else None)


class DetailActions(FeedActions):
    """The thread, composer and customer panes of the post under the cursor (or one opened from elsewhere)."""

    _detail_timer: Timer | None
    _draft_timer: Timer | None
    _draft_post: int | None
    # The post whose thread the middle pane shows: the cursor's, or one opened from elsewhere
    # (claimed with `n`, outside the loaded rows). Results for any other post are stale.
    _shown_post: int | None
    # The post whose detail the first frame showed from the preload: its first highlight reads nothing.
    _preloaded_post: int | None = None
    # Reads started so far: a read overtaken by a later one (the same post read again after a change,
    # while a loaded machine held the first) must not land over it.
    _detail_reads: int

    @property
    def composer(self) -> Composer:
        """The composer widget."""
        return self.query_one(Composer)

    def refresh_thread(self) -> None:
        """Re-read the selected post's thread and customer."""
        if self._shown_post is not None:
            self._load_detail(self._shown_post)

    def select_post(self, post_id: int) -> None:
        """Move the cursor to a post; one outside the loaded rows still opens in the thread pane."""
        index = self.model.index_of(post_id)
        if index is not None:
            self._pinned = False
            self.feed.cursor = index
            return
        self._pinned = True
        self._shown_post = post_id
        self._load_detail(post_id)

    def open_draft(self, post_id: int) -> None:
        """Show the post and put the focus in the composer, where its draft is loaded."""
        self.select_post(post_id)
        if self._shown_post == post_id:
            self.refresh_thread()  # the cursor was already on it: load the draft again
        self.set_focus(self.composer.editor)

    def show_preloaded_detail(self) -> None:
        """Show the detail read before the UI started (`FeedModel.preload`), so the first frame has it."""
        detail = self.model.take_preloaded_detail()
        if detail is None:
            return
        self._shown_post = self._preloaded_post = detail.post_id
        read = self._detail_reads  # shown as the latest read: a later one supersedes it
        self.on_thread_loaded(ThreadLoaded(detail.thread, detail.draft, detail.post_id, read))
        self.on_customer_loaded(CustomerLoaded(detail.customer, detail.post_id, read))

    def on_feed_list_highlighted(self, message: FeedList.Highlighted) -> None:
        self.show_position()
        if self._pinned:
            return
        self.selected_post = message.post
        if self._detail_timer is not None:
            self._detail_timer.stop()
        preloaded, self._preloaded_post = self._preloaded_post, None
        if message.post is None:
            self._clear_detail()  # an empty view: no customer of a view left behind
        elif message.post.id == preloaded and self._shown_post == preloaded:
            pass  # the first frame already shows its thread, composer and customer
        else:
            post_id = self._shown_post = message.post.id
            self._detail_timer = self.set_timer(DETAIL_DELAY, lambda: self._load_detail(post_id))
        if self.feed.cursor == 0:
            self.query_one(StatusBar).new_count = 0

    def _load_detail(self, post_id: int) -> None:
        """Read a post's thread and customer; only the latest read is shown."""
        self._detail_reads += 1
        self._read_detail(post_id, self._detail_reads)

    @work(thread=True, group="detail", exclusive=True, exit_on_error=False, description="Reading the thread")
    def _read_detail(self, post_id: int, read: int) -> None:
        detail = self.model.load_detail(post_id)
        # Posted together: both panes change in one frame, not two.
        self.post_message(ThreadLoaded(detail.thread, detail.draft, post_id, read))
        self.post_message(CustomerLoaded(detail.customer, post_id, read))

    def _show_thread(self, view: ThreadDetail) -> None:
        """Show a thread at once; its similar posts follow (`ThreadShown`: the desk's PatternActions look
        them up in a worker of their own). A thread read again keeps its line until the new one comes."""
        pane = self.query_one(ThreadView)
        shown = pane.data
        if shown is not None and shown.thread.focus.id == view.thread.focus.id:
            view = replace(view, pattern=shown.pattern, similar_ids=shown.similar_ids)
        pane.data = view
        self.post_message(ThreadShown(view.thread.focus))

    def on_thread_loaded(self, message: ThreadLoaded) -> None:
        if message.post_id != self._shown_post or message.read != self._detail_reads or message.view is None:
            return  # the agent has moved on, or a later read of this post is coming
        thread = message.view.thread
        if thread.focus.is_ours:
            # Our own post: the reply goes to the customer post it answers, never to ourselves.
            target = reply_target(thread)
            if target is not None:
                self._shown_post = target.id
                self._load_detail(target.id)
                return
        thread_view = self.query_one(ThreadView)
        thread_view.networks = capabilities.labels()  # a connector loaded since brings its names
        self._show_thread(message.view)
        composer = self.composer
        post = self.selected_post = thread.focus
        if post.is_ours:
            self._own_post_only(post)
            return
        network = capabilities.facts(post.network)
        composer.network = network
        # The account's own server's rules (Mastodon: max_characters, characters_reserved_per_url).
        composer.server_limit, composer.url_weight = message.view.limits or (0, 0)
        composer.content_warning = post.content_warning  # a Mastodon reply carries it, and it counts
        composer.prefix = final_text(post, "")
        mentions = composer.prefix.strip()
        composer.target = f"Reply to @{post.author_handle} on {network.display_name}" + (
            ""
            if not mentions
            else " · @-mention added"
            if mentions == f"@{post.author_handle}"
            else f" · starts with {mentions}"
        )
        self._draft_post = post.id
        composer.set_text(message.draft)
        replies = message.view.replies.get(post.id, []) if message.view else []
        composer.state = replies[-1][1] if replies else ""

    def _own_post_only(self, post: PostRow) -> None:
        """A thread of our own posts only: nobody to reply to."""
        self._draft_post = None
        composer = self.composer
        composer.network = capabilities.facts(post.network)
        composer.prefix = composer.state = ""
        composer.target = "Our own post: no customer post in this thread to reply to"
        composer.set_text("")

    def _clear_detail(self) -> None:
        """Nothing selected: the thread, composer and customer panes show their placeholders."""
        self._shown_post = self._draft_post = None
        self.query_one(ThreadView).data = None
        self.query_one(CustomerPane).data = None
        composer = self.composer
        composer.network = NO_NETWORK
        composer.target = ""
        composer.prefix = ""
        composer.state = ""
        composer.set_text("")

    def on_customer_loaded(self, message: CustomerLoaded) -> None:
        if message.post_id is not None and message.post_id != self._shown_post:
            return  # the author of a post the agent has moved past
        if message.read is not None and message.read != self._detail_reads:
            return  # a later read of the same post is coming
        pane = self.query_one(CustomerPane)
        pane.networks = capabilities.labels()
        pane.data = message.view

    def action_history_more(self) -> None:
        """Load the next (older) page of the customer's history."""
        view = self.query_one(CustomerPane).data
        if view is not None and view.more and view.history:
            self._more_history(view)

    @work(thread=True, group="detail", exclusive=True, exit_on_error=False, description="Reading history")
    def _more_history(self, view: CustomerView) -> None:
        self.post_message(CustomerLoaded(self.model.more_history(view)))

    def on_composer_changed(self, message: Composer.Changed) -> None:
        post_id, text = self._draft_post, message.text
        if post_id is None:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, lambda: self._save_draft(post_id, text))

    @work(thread=True, group="drafts", exit_on_error=False, description="Saving the draft")
    def _save_draft(self, post_id: int, text: str) -> None:
        self.ctx.store.save_draft(post_id, text)
        self.post_message(DraftSaved(post_id, bool(text.strip())))

    def on_draft_saved(self, message: DraftSaved) -> None:
        index = self.model.index_of(message.post_id)
        row = self.feed.window.row(index) if index is not None else None
        if row is not None and row.has_draft != message.kept:
            self.refresh_feed()  # the row's draft mark comes or goes
