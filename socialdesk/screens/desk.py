"""The main screen: the inbound feed, the thread with its composer, and the customer's history.

The screen routes: widgets post messages up, the screen runs store reads in thread workers, and
each worker ends by posting a result message whose handler sets widget attributes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer

from socialdesk import capabilities, compose
from socialdesk.context import Context
from socialdesk.memory import freeze_startup_objects
from socialdesk.messages import (
    OutboxChanged,
    PostsSynced,
    SourceStateChanged,
    ThreadOpened,
    ThreadRefreshed,
)
from socialdesk.models import PostRow
from socialdesk.screens.bulk_reply import BULK_BINDINGS, BulkReplyActions
from socialdesk.screens.detail_actions import DetailActions
from socialdesk.screens.first_run import FirstRunActions
from socialdesk.screens.handover_actions import HANDOVER_BINDINGS, HandoverActions
from socialdesk.screens.moderation_actions import MODERATION_BINDINGS, ModerationActions
from socialdesk.screens.pattern_actions import PATTERN_BINDINGS, PatternActions
from socialdesk.screens.place_actions import PlaceActions
from socialdesk.screens.profile_actions import PROFILE_BINDINGS, ProfileActions
from socialdesk.screens.reply_actions import REPLY_BINDINGS
from socialdesk.screens.team_actions import TEAM_BINDINGS, TeamActions
from socialdesk.screens.terminal_actions import TERMINAL_BINDINGS, TerminalActions
from socialdesk.screens.ticket_actions import TICKET_BINDINGS, TicketActions
from socialdesk.screens.triage_actions import TRIAGE_BINDINGS, TriageActions
from socialdesk.services import feed_window
from socialdesk.services.feed_model import FeedModel
from socialdesk.store.queries import INBOUND, PostFilter
from socialdesk.viewmodels import ThreadDetail
from socialdesk.widgets.composer import EDITOR_ID, Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.key_footer import KeyFooter
from socialdesk.widgets.queue_tabs import QueueTabs
from socialdesk.widgets.status_bar import StatusBar
from socialdesk.widgets.team_bar import TeamBar
from socialdesk.widgets.thread_view import ThreadView

if TYPE_CHECKING:
    from socialdesk.services.outbox import Outbox

# Seconds the feed's cursor must rest before the work the first page deferred starts: longer than a key
# repeat's gap (~0.03 s) and than the pause before a held key starts repeating on most systems.
KEYS_REST = 0.5

DESK_BINDINGS: list[BindingType] = [
    Binding("j,down", "cursor(1)", "Down", show=False, id="feed.down"),
    Binding("k,up", "cursor(-1)", "Up", show=False, id="feed.up"),
    Binding("g,home", "top", "Top", show=False, id="feed.top"),
    Binding("G,end", "bottom", "Bottom", show=False, id="feed.bottom"),
    Binding("pagedown", "page(1)", "Page down", show=False, id="feed.page_down"),
    Binding("pageup", "page(-1)", "Page up", show=False, id="feed.page_up"),
    Binding("enter", "open_thread", "Thread", show=False, id="thread.open"),
    Binding("r", "reply", "Reply", id="composer.focus"),
    Binding("tab", "pane(1)", "Next pane", show=False, id="pane.next"),
    Binding("shift+tab", "pane(-1)", "Prev pane", show=False, id="pane.previous"),
    Binding("slash", "search", "Search", id="search.open"),
    Binding("escape", "back", "Back", show=False, id="desk.back"),
    Binding("ctrl+n", "clear_draft", "Clear draft", show=False, id="reply.clear"),
    Binding("question_mark", "help", "Help", id="help.show"),
    Binding("M", "metrics", "Metrics", show=False, id="metrics.open"),
    Binding("right_square_bracket", "history_more", "More history", show=False, id="history.more"),
    Binding("q", "quit", "Quit", id="app.quit"),
]


class DeskScreen(
    TeamActions,
    BulkReplyActions,
    HandoverActions,
    TriageActions,
    PatternActions,
    PlaceActions,
    DetailActions,
    FirstRunActions,
    TerminalActions,
    TicketActions,
    ProfileActions,
    ModerationActions,
    Screen[None],
):
    """Three live panes over the cache: the feed and detail panes, the reply, queue and pattern keys."""

    DEFAULT_CSS = """
    DeskScreen {
        layout: vertical;
        & #panes { height: 1fr; }
        & #feed-pane { width: 5fr; border-right: solid $panel; }
        & #middle { width: 4fr; border-right: solid $panel; }
        & #customer { width: 3fr; }
        & ThreadView { height: 1fr; }
        & FeedList:focus, & ThreadView:focus, & CustomerPane:focus { background: $boost; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *DESK_BINDINGS, *REPLY_BINDINGS, *TRIAGE_BINDINGS, *PATTERN_BINDINGS, *BULK_BINDINGS,
        *TERMINAL_BINDINGS, *TICKET_BINDINGS, *PROFILE_BINDINGS, *MODERATION_BINDINGS, *TEAM_BINDINGS,
        *HANDOVER_BINDINGS,
    ]  # fmt: skip
    PANES = ("FeedList", "ThreadView", "ReplyEditor", "CustomerPane")

    def __init__(self, ctx: Context, outbox: Outbox) -> None:
        super().__init__()
        self.ctx = ctx
        self.outbox = outbox  # the app's: one per desk, its delivery runs in the app's outbox worker
        self.feed_filter: PostFilter = INBOUND
        self.view_title = "All"
        self._view_queue_order = False
        # The view a search was started from: Escape goes back to it.
        self._before_search: tuple[PostFilter, str, bool] | None = None
        self.marked_ids: set[int] = set()
        self.selected_post: PostRow | None = None
        self.model = FeedModel(ctx.store, INBOUND)
        self.model.phone_regions = tuple(ctx.settings.privacy.phone_regions)
        self.model.crm_template = ctx.settings.customers.crm_link
        self._detail_timer: Timer | None = None
        self._draft_timer: Timer | None = None
        self._draft_post: int | None = None
        self._counter_warmed = False
        self._rest_timer: Timer | None = None  # pending: the deferred work waits for the keys to rest
        # The post whose thread the middle pane shows: the cursor's, or one opened from elsewhere
        # (claimed with `n`, outside the loaded rows). Results for any other post are stale.
        self._shown_post: int | None = None
        self._detail_reads = 0
        # Set while the thread pane shows a post opened from elsewhere: feed reloads and arrivals then
        # leave it alone; the agent moving in the feed takes the pane back to the cursor.
        self._pinned = False
        # Each source's name, state, reason and reach as the status bar shows them, in the order they came.
        self._source_states: dict[str, tuple[str, str, str, str]] = {}
        self.ask_agent_name = False  # set by make_app for an interactive run: a first run asks
        self._resumed = False  # whether the screen has been made active yet

    def preload(self) -> None:
        """Read the first page of the feed now, before the app runs (see `cli.make_app`).

        The first frame shows it; the feed is read again once mounted, with its exact total.
        """
        self.model.preload()

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        # The spike banner is mounted over the queues on the first spike (`PatternActions`): hidden
        # until then, it would only cost the start.
        yield QueueTabs(id="queues")  # filled in when the playbook's queues are read and counted
        with Horizontal(id="panes"):
            yield FeedList(id="feed-pane")
            with Vertical(id="middle"):
                if self.ctx.settings.team.url and not self.ctx.demo:  # a team desk, as the app decides
                    yield TeamBar(id="team-bar")  # who holds, who views, who types
                yield ThreadView(id="thread")
                yield Composer(id="composer")
            yield CustomerPane(id="customer")
        yield KeyFooter()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler, which restyles the whole screen on every resume. The first
        # comes as the desk starts, after each widget and component was styled as it was mounted and
        # before the first frame: styling them all again changed nothing. Later resumes restyle.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        status.demo = self.ctx.demo
        status.offline = self.ctx.offline
        status.workspace = self.ctx.settings.source if not self.ctx.demo else ""
        self.query_one(FeedList).focus()
        self.feed.networks = capabilities.labels()  # the built-in connectors' glyphs, for the first frame
        preloaded = self.model.take_preloaded()
        if preloaded is not None:
            self.feed.show(preloaded)  # then read again: posts may have arrived since
            self.show_preloaded_detail()
        self.call_after_refresh(self._after_first_page)
        # Ages in the feed tick; redraw the visible lines (cheap: the Line API draws ~50 rows).
        self.set_interval(5, self.query_one(FeedList).refresh)

    # -- host API used by the reply and triage action mixins ---------------------------------------

    def composer_text(self) -> str:
        """What the agent has written."""
        return self.composer.text

    def composer_rules(self) -> tuple[int | None, int | None]:
        """The replying account's server limit and link weight (None: the network's defaults)."""
        return self.composer.server_limit or None, self.composer.url_weight or None

    def set_composer_text(self, text: str) -> None:
        """Replace the composer's text and save it as the draft."""
        self.composer.set_text(text, announce=True)

    def focus_composer(self) -> None:
        """Put the focus in the composer (back from the external editor)."""
        self.set_focus(self.composer.editor)

    def shown_thread(self) -> ThreadDetail | None:
        """The thread the middle pane shows."""
        return self.query_one(ThreadView).data

    def shown_crm_url(self) -> str:
        """The CRM link of the customer the right pane shows."""
        view = self.query_one(CustomerPane).data
        return view.crm_url if view is not None else ""

    def leave_composer(self) -> None:
        """The reply is queued and the composer emptied: back to the feed, where `u` undoes."""
        if self._writing():
            self.set_focus(self.feed)  # now, not on the next turn: the undo toast names the key

    def set_feed_filter(
        self,
        flt: PostFilter,
        title: str,
        queue_order: bool = False,
        empty_text: str = "",
        *,
        read: bool = True,
    ) -> None:
        """Show another view of the cache in the feed (a saved queue, search results).

        With `read=False` the rows are not read here: the caller shows a window of its own.
        """
        self.feed_filter = flt
        self.view_title = title
        self._view_queue_order = queue_order
        self._before_search = None  # a search sets it again once its view is shown
        self.feed.empty_text = empty_text or f"Nothing in {title}: no post is waiting here."
        self.query_one(StatusBar).view_title = title
        self.query_one(StatusBar).new_count = 0
        if read:
            self.reload_feed(order="queue" if queue_order else "newest")

    def _after_first_page(self) -> None:
        # The start-up objects leave the collector's reach now (a full collection walking them took
        # 35-50 ms, often while the agent's first keys were being handled), and collection resumes.
        freeze_startup_objects()
        # Work no pane of the first frame shows waits for it: started earlier, these threads took the
        # GIL and the import lock from the UI thread while it drew that frame. Started with it, they
        # did the same to an agent's first keys (a key held from the start waited 60-250 ms for its
        # frames): they wait until the cursor rests.
        # The similar posts of each thread shown from now on are looked up once it rests (PATTERN_REST).
        self.first_page_shown = True
        self.composer.add_editor()  # the text area the first frame drew blank
        self.restore_place()  # the view and row the agent left, else the top of All read again
        self._rest_timer = self.set_timer(KEYS_REST, self._after_keys_rest)
        if self.ask_agent_name:  # the check comes with the config's writer: no pane of the frame needs it
            from socialdesk.services.desk_config import agent_unset

            if agent_unset(self.ctx.settings.desk):
                self.prompt_agent_name()

    def _after_keys_rest(self) -> None:
        """The work the first page deferred: the queue counts, the first post's similar posts (unless
        the agent has moved on to another thread), the spike check, the metrics' stale rollups."""
        self._rest_timer = None
        self.refresh_queue_counts()
        self.load_deferred_pattern()
        self._find_spikes()  # not counted as the minute's check: the first sync's check follows at once
        self._rebuild_metrics()

    @work(thread=True, group="metrics-rebuild", exit_on_error=False, description="Rebuilding the metrics")
    def _rebuild_metrics(self) -> None:
        """Rebuild the status changes' rollups a change out of order left stale, a batch at a time until
        none is left or the desk closes: a report rebuilds what it finds too, but for a second at most,
        and a cache stale before migration 39 rebuilds all its history (README, "Metrics")."""
        from textual.worker import get_current_worker

        from socialdesk.services.metrics import Metrics

        worker = get_current_worker()
        Metrics(self.ctx.store).rebuild_stale(float("inf"), stop=lambda: worker.is_cancelled)

    def on_feed_list_highlighted(self, message: FeedList.Highlighted) -> None:
        # The mixins have handlers of this name too: Textual calls each class's along the MRO.
        if self._rest_timer is not None:  # the cursor moved: its rest starts again
            self._rest_timer.stop()
            self._rest_timer = self.set_timer(KEYS_REST, self._after_keys_rest)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if event.widget.id == EDITOR_ID:
            self.warm_up_counter()

    def on_composer_changed(self, message: Composer.Changed) -> None:
        # DetailActions saves the draft in its handler of this name: Textual calls each class's.
        self.warm_up_counter()

    def warm_up_counter(self) -> None:
        """Prepare the counter's tables once, when a reply is begun (focus, a macro, an external edit).

        They serve only a reply being written, and cost resident memory for the rest of the shift
        (README, "Performance"): an agent who reads the feed never needs them. Plain words count
        without them; a link or emoji typed in the half second they take waits for the rest of it.
        """
        if not self._counter_warmed:
            self._counter_warmed = True
            self._warm_up()

    @work(thread=True, group="warm-up", exit_on_error=False, description="Preparing the reply counter")
    def _warm_up(self) -> None:
        compose.warm_up()  # the first URL or emoji counted must not stall a keystroke
        self.app.call_from_thread(freeze_startup_objects)  # and what the warm-up imported

    def on_posts_synced(self, message: PostsSynced) -> None:
        if message.report.new_ids:
            self._feed_op(feed_window.arrivals)
            self.refresh_queue_counts()
            self.check_spikes()

    def on_source_state_changed(self, message: SourceStateChanged) -> None:
        """Show a source's state in the status bar (the message goes on up to the app's scheduler)."""
        report = message.report
        shown = (report.source, str(report.state), report.message, report.reach_text("%d %b"))
        self._source_states[report.source] = shown
        self.query_one(StatusBar).sources = tuple(self._source_states.values())
        # A source is built once its connector is loaded: a plug-in's rows now get its glyph.
        self.feed.networks = capabilities.labels()

    def on_outbox_changed(self, message: OutboxChanged) -> None:
        for event in message.events:
            if event.ask_agent:
                self.notify(
                    f"Reply {event.reply_id} may have been posted and cannot be checked: look on the network,"
                    " then retry or discard it in the outbox (o)",
                    title="Your decision",
                    severity="error",
                    markup=False,
                    timeout=30,
                )
            elif event.state == "unknown":  # still being checked: the outbox looks again by itself
                self.notify(f"Reply {event.reply_id}: checking whether it arrived", markup=False)
            elif event.state in ("failed", "needs_auth"):
                self.notify(f"Reply {event.state}: {event.error}", severity="error", markup=False, timeout=10)
            elif event.state == "sent":
                self.notify("Reply sent", markup=False)
        self.refresh_thread()
        self.refresh_quit_question()

    # -- what the footer offers -----------------------------------------------------------------------

    # Only useful while writing (they act on the composer's text).
    WRITING_ACTIONS = frozenset({"reply_send", "reply_macro", "reply_split"})
    # Single letters typed into the composer never reach these; keep the footer to what works now.
    FEED_ACTIONS = frozenset(
        {
            "open_thread",
            "reply",
            "search",
            "help",
            "quit",
            "triage_next",
            "triage_resolve",
            "triage_resolve_next",
            "reply_outbox",
            "reply_private",
        }
    )

    def _writing(self) -> bool:
        """Whether the composer's text area has the focus (asked before the composer is composed too)."""
        return self.focused is not None and self.focused.id == EDITOR_ID

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        writing = self._writing()
        if action in self.WRITING_ACTIONS:
            return writing
        if action in self.FEED_ACTIONS:
            return not writing
        return True

    # -- actions ----------------------------------------------------------------------------------

    def action_open_thread(self) -> None:
        if self.selected_post is not None:
            self._load_detail(self.selected_post.id)
            self.query_one(ThreadView).focus()
            self.post_message(ThreadOpened(self.selected_post))  # the app asks the network for it

    def on_thread_refreshed(self, message: ThreadRefreshed) -> None:
        if message.refresh.post_id == self._shown_post:
            self.refresh_thread()
        self.refresh_feed()  # edited and deleted marks on the loaded rows
        if message.refresh.inserted or message.refresh.deleted:
            self.refresh_queue_counts()

    def action_reply(self) -> None:
        if self.selected_post is None:
            self.notify("Select a post to reply to.", severity="warning")
            return
        self.composer.editor.focus()

    def action_pane(self, step: int) -> None:
        self.composer.add_editor()
        panes = [self.query_one(name) for name in self.PANES]
        focused = self.focused
        index = next((i for i, p in enumerate(panes) if p is focused), -1)
        panes[(index + step) % len(panes)].focus()

    def action_search(self) -> None:
        from socialdesk.screens.search import SearchResult, SearchScreen

        def done(result: SearchResult | None) -> None:
            if result is None:
                return
            if not result.query.strip():
                self.set_feed_filter(INBOUND, "All")
                return
            before = self._before_search or (self.feed_filter, self.view_title, self._view_queue_order)
            back = before[1]
            self.set_feed_filter(
                INBOUND.and_(result.filter),
                f"Search: {result.query}",
                empty_text=f'Nothing matches "{result.query}". Escape goes back to {back}; / searches again.',
            )
            self._before_search = before

        from socialdesk.store.vocabulary import vocabulary

        store = self.ctx.store
        known = lambda: vocabulary(store.conn)  # noqa: E731 - read in the search screen's worker
        self.app.push_screen(SearchScreen(self.ctx.agent.name, vocabulary=known), done)

    def action_metrics(self) -> None:
        from socialdesk.screens.metrics import MetricsScreen
        from socialdesk.services.hours import desk_hours
        from socialdesk.services.metrics import Metrics

        agent = self.ctx.agent.name
        metrics = Metrics(
            self.ctx.store,
            desk_hours(self.ctx.settings),
            queues=lambda: [(q.name, q.filter(agent)) for q in self.triage_queues],
            clock=getattr(self.app, "clock", time.time),
        )
        self.app.push_screen(MetricsScreen(self.ctx, metrics))

    def action_clear_draft(self) -> None:
        """Empty the composer (the draft goes with it); ctrl+z in the composer brings the text back."""
        editor = self.composer.editor
        if not editor.text.strip():
            self.notify("The draft is already empty")
            return
        editor.clear()  # an edit, not a reload: it stays in the editor's undo history
        self.notify("Draft cleared: ctrl+z in the composer brings it back")

    def action_back(self) -> None:
        """Escape: back to the feed from another pane; in the feed, out of a search."""
        if not isinstance(self.focused, FeedList):
            self.set_focus(self.feed)
        elif self._before_search is not None:
            flt, title, queue_order = self._before_search
            self._before_search = None
            self.set_feed_filter(flt, title, queue_order)

    def action_help(self) -> None:
        from socialdesk.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(self))

    def action_quit(self) -> None:
        self.quit_unless_replies_wait()  # asks first while replies have not left
