"""The Textual App: wiring only (store, themes, keymap, sync workers, one worker-error handler)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from socialdesk.context import Context
from socialdesk.memory import free_drawn_lines_promptly, limit_malloc_arenas, limit_sqlite_page_caches
from socialdesk.messages import (
    AutomationsRan,
    OutboxChanged,
    PlaybookChecked,
    PostsSynced,
    SourceStateChanged,
    TeamLinkChanged,
    TeamPulled,
    ThreadOpened,
    ThreadRefreshed,
)
from socialdesk.screens.desk import DeskScreen
from socialdesk.services import outbox_worker
from socialdesk.services.outbox import Outbox
from socialdesk.themes_loader import load_themes
from socialdesk.widgets.status_bar import StatusBar

# A real cache opened without accounts is shown, never synced nor sent from (and never the demo's).
NO_ACCOUNTS = (
    "No accounts configured: nothing syncs and queued replies wait. "
    "Add one with `socialdesk accounts add`, or open the demo with `socialdesk demo`."
)

if TYPE_CHECKING:  # the sync engine is imported where a sync (or a source's state) first needs it
    from textual.theme import Theme

    from socialdesk.models import PostRow
    from socialdesk.services.sync import Source, SyncReport, TriageFn
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.services.team_outbox import TeamOutbox


class SocialDeskApp(App[None]):
    """The desk. Construct it through `socialdesk.cli.make_app` (tests use the same factory)."""

    # Opening the same conversation again within this many seconds does not ask the network again.
    THREAD_REFRESH_EVERY = 60.0
    # Seconds between automation passes (besides the one after each sync); a notice shows this late.
    AUTOMATIONS_EVERY = 60.0

    TITLE = "socialdesk"
    # Our own DeskScreen binds q; Textual's ctrl+q and the palette's Quit come to `action_quit` below.

    def __init__(
        self,
        ctx: Context,
        sources: list[Source] | Callable[[], list[Source]] | None = None,
        triage: Callable[[], TriageFn | None] | None = None,
        sync: bool = True,
        sync_interval: float | None = None,
        clock: Callable[[], float] = time.time,
        themes: Sequence[Theme] | None = None,
    ) -> None:
        super().__init__()
        free_drawn_lines_promptly()
        limit_malloc_arenas()
        limit_sqlite_page_caches()
        self.ctx = ctx
        # A function is called after the first frame: the connectors' imports do not delay the feed.
        self._sources_factory = sources if callable(sources) else None
        self.sources: list[Source] = [] if callable(sources) else sources or []
        # Built on the first sync, in the worker: the rules and sentiment model stay off start-up.
        self._triage_factory = triage
        self._triage: TriageFn | None = None
        self.sync_enabled = sync and not ctx.offline
        self.sync_interval = sync_interval or ctx.settings.desk.sync_interval
        self.clock = clock
        self.source_states: dict[str, SyncReport] = {}
        self.playbook_refused = ""  # why the playbook file is not in use ("" when it is)
        self._syncing: set[str] = set()
        self._threads_refreshed: dict[tuple[str, str], float] = {}  # conversation -> when
        # The desk's one outbox: the screens queue into it, the outbox worker runs its delivery.
        self.outbox = Outbox(
            ctx.store,
            outbox_worker.resolver_for(ctx),
            clock=clock,
            undo_seconds=ctx.settings.desk.undo_seconds,
        )
        self.desk = DeskScreen(ctx, self.outbox)
        self.crash: str | None = None  # what stopped the desk, with where its log is (see run_desk)
        self._outbox_stop = threading.Event()
        # A team desk ([team] url): its cache follows the team database; the hub talks to the networks.
        self.team_url = ctx.settings.team.url if not ctx.demo else ""
        for theme in load_themes() if themes is None else themes:  # the shipped and the user's
            self.register_theme(theme)
        self._start_with_theme(ctx.theme or ctx.settings.desk.theme)
        if ctx.settings.keys:
            self.set_keymap(ctx.settings.keys)

    def _start_with_theme(self, name: str) -> None:
        """Start in theme `name` as Textual starts in its default one: before any CSS is parsed.

        Set through the reactive, the theme's watcher queued a refresh that parsed the whole stylesheet
        once more before the first frame. Nothing is parsed or styled yet, so the theme's variables
        and the classes its watcher sets are all a start needs; switching later goes through it.
        """
        self.set_reactive(App.theme, name)
        theme = self.current_theme
        classes = {old: False for old in self.classes if old.startswith("-theme-")}
        classes |= {f"-theme-{theme.name}": True, "-dark-mode": theme.dark, "-light-mode": not theme.dark}
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def get_default_screen(self) -> Screen[None]:
        """The desk, as the app's first screen rather than pushed over Textual's default one.

        Pushed, its first frame was composed while Textual still batched the start's updates and was
        dropped; the next frame sent only what had changed since, so the thread and customer panes
        reached the terminal only with a later full repaint.
        """
        return self.desk

    def on_mount(self) -> None:
        # Automations are local work: they run offline too, on the app's clock (a team desk's run in
        # the hub; its pass only shows notices).
        self.set_interval(self.AUTOMATIONS_EVERY, self.run_automations)
        if self._sources_factory is not None:
            self.call_after_refresh(self._connect)
        else:
            self._connect()

    def _connect(self) -> None:
        """Show the sources' states and, unless offline, start syncing and the outbox.

        A team desk follows the team database instead: no network is synced from here.
        """
        if self.team_url:
            self._follow_team()
            return
        if self._sources_factory is not None:
            self.sources = self._sources_factory()
        if self.sources:
            from socialdesk.services.sync import SourceState, SyncReport

            for source in self.sources:
                state = SourceState.OFFLINE if not self.sync_enabled else SourceState.IDLE
                self.desk.post_message(SourceStateChanged(SyncReport(source.name, state)))
        unconfigured = not self.sources and not self.ctx.demo  # a real cache, no account to serve it
        if unconfigured and self.sync_enabled:
            self.notify(NO_ACCOUNTS, severity="warning", timeout=30)
        if self.sync_enabled and not unconfigured:
            self.sync_all()
            self.set_interval(self.sync_interval, self.sync_all)
            self.run_worker(
                self._run_outbox,
                thread=True,
                group="outbox",
                exit_on_error=False,
                description="Sending replies",
            )

    def on_unmount(self) -> None:
        self._outbox_stop.set()
        if self.outbox.team is not None:
            self.outbox.team.wake()

    # -- a team desk ----------------------------------------------------------------------------------

    def _follow_team(self) -> None:
        """Build the team desk (psycopg is imported now, after the first frame) and follow its feed."""
        from socialdesk.services.team_desk import TeamDesk
        from socialdesk.services.team_outbox import TeamOutbox

        team = TeamDesk(self.team_url, self.ctx.store, self.ctx.agent.name)
        self.desk.team = team
        self.outbox.team = TeamOutbox(team)
        self.run_worker(
            partial(self._run_team_feed, team),
            thread=True,
            group="team-feed",
            exit_on_error=False,
            description="Following the team database",
        )
        self.run_worker(
            partial(self._run_team_outbox, self.outbox.team),
            thread=True,
            group="team-outbox",
            exit_on_error=False,
            description="Handing replies to the team's outbox",
        )

    def _run_team_feed(self, team: TeamDesk) -> None:
        from socialdesk.services.team_follow import follow
        from socialdesk.services.team_outbox import events_of
        from socialdesk.services.team_replica import Pulled

        began: list[bool] = []

        def pulled(what: Pulled) -> None:
            if not began:  # after the first read: the team's notices until then are history, not rung
                from socialdesk.services import notifications

                notifications.begin(self.ctx.store, team.agent)
                began.append(True)
            self.desk.post_message(TeamPulled(what))
            if mine := events_of(what.replies, team.agent):
                self.desk.post_message(OutboxChanged(mine))

        follow(
            team,
            self._outbox_stop,
            on_pulled=pulled,
            on_link=lambda link: self.desk.post_message(TeamLinkChanged(link)),
        )

    def _run_team_outbox(self, outbox: TeamOutbox) -> None:
        """Hand this desk's replies to the team's outbox until the app exits (the hub sends them)."""
        from socialdesk.services import team_outbox
        from socialdesk.services.delivery import OutboxEvent

        def failed(ids: tuple[int, ...]) -> None:
            events = [OutboxEvent(i, None, "failed", team_outbox.NOT_IN_TEAM) for i in ids]
            self.desk.post_message(OutboxChanged(events))

        team_outbox.run(outbox, self._outbox_stop, on_failed=failed)

    async def action_quit(self) -> None:
        """ctrl+q and the palette's Quit ask first while replies have not left, as `q` does.

        Asked already (ctrl+q on the question): the agent means it.
        """
        from socialdesk.screens.quit_confirm import QuitScreen

        if self.desk.is_mounted and not isinstance(self.screen, QuitScreen):
            self.desk.quit_unless_replies_wait()
        else:
            self.exit()

    def _run_outbox(self) -> None:
        """Hand due replies to the networks until the app exits (in order per account, never twice)."""
        from socialdesk.services.delivery import OutboxEvent

        def report(events: list[OutboxEvent]) -> None:
            self.desk.post_message(OutboxChanged(events))

        outbox_worker.run(self.outbox.delivery, self._outbox_stop, on_events=report)

    # -- sync ---------------------------------------------------------------------------------------

    def sync_now(self) -> None:
        """The palette's "Sync now": start a round and say what it does (or why nothing happens)."""
        if self.ctx.offline:
            self.notify("Offline (--offline): nothing is fetched", severity="warning")
        elif not self.sources:
            self.notify("No account to sync: add one with socialdesk accounts add", severity="warning")
        elif started := self.sync_all():
            self.notify(f"Syncing {', '.join(started)}: the status bar shows each account", markup=False)
        else:
            self.notify("Every account is already syncing or waiting out a rate limit")

    def sync_all(self) -> list[str]:
        """Start a sync round for every source that is not already syncing or waiting out a limit.

        Returns:
            The names of the sources that started.
        """
        now = self.clock()
        started = []
        for source in self.sources:
            state = self.source_states.get(source.name)
            if source.name in self._syncing or (state and state.retry_at and state.retry_at > now):
                continue
            started.append(source.name)
            self._syncing.add(source.name)
            self.run_worker(
                partial(self._sync_source, source),
                thread=True,
                group=f"sync:{source.name}",
                exit_on_error=False,
                description=f"Syncing {source.name}",
            )
        return started

    def _sync_source(self, source: Source) -> None:
        from socialdesk.services.sync import sync_source

        try:
            if self._triage is None and self._triage_factory is not None:
                self._triage = self._triage_factory()
            report = sync_source(self.ctx.store, source, self._triage, clock=self.clock)
        finally:
            self._syncing.discard(source.name)
        notice = getattr(self._triage, "notice", None)
        self.post_message(PlaybookChecked(notice() if callable(notice) else ""))
        self.desk.post_message(SourceStateChanged(report))
        if report.new_ids:
            self.desk.post_message(PostsSynced(report))
        self._automation_pass()  # new posts may have raised notices; snoozes that ran out are back

    # -- automations and notices ---------------------------------------------------------------------

    def run_automations(self) -> None:
        """Start an automation pass in a worker (snoozes wake, the playbook's automations fire)."""
        self.run_worker(
            self._automation_pass,
            thread=True,
            group="automations",
            exclusive=True,
            exit_on_error=False,
            description="Running the playbook's automations",
        )

    def _automation_pass(self) -> None:
        from socialdesk.services import notifications
        from socialdesk.services.automations import run_kept
        from socialdesk.services.playbook_keeper import keeper_for

        store, agent = self.ctx.store, self.ctx.agent.name
        notices = notifications.unseen(store, agent)  # what sync's rules raised (a first call: none)
        changed = 0
        if not self.team_url:  # a team's automations run once, in the hub, on the team database
            report = run_kept(keeper_for(self.ctx), self.clock())
            notices += notifications.unseen(store, agent)
            changed = len(report.fired) + len(report.woke)
        self.post_message(AutomationsRan(changed, [notifications.line(n) for n in notices]))

    def on_automations_ran(self, message: AutomationsRan) -> None:
        """Show what changed, and ring for each batch of notices (three shown, the rest counted)."""
        if message.changed and self.desk.is_mounted:
            self.desk.refresh_feed()
            self.desk.refresh_queue_counts()
        if not message.notices:
            return
        self.bell()
        for line in message.notices[:3]:
            self.notify(line, title="Notice", timeout=20, markup=False)
        if len(message.notices) > 3:
            more = len(message.notices) - 3
            self.notify(
                f"and {more} more: Notifications in the command palette", title="Notice", markup=False
            )

    def show_notices(self) -> None:
        """The palette's "Notifications": the recent notices for this agent, newest first."""

        def load() -> None:
            from socialdesk.screens.notices import NoticesScreen
            from socialdesk.services import notifications

            lines = [notifications.line(n) for n in notifications.recent(self.ctx.store, self.ctx.agent.name)]
            self.call_from_thread(self.push_screen, NoticesScreen(lines))

        self.run_worker(
            load, thread=True, group="notices", exit_on_error=False, description="Reading notices"
        )

    def on_source_state_changed(self, message: SourceStateChanged) -> None:
        """The desk has shown it; the app keeps it to know which source waits out a rate limit."""
        self.source_states[message.report.source] = message.report

    def on_playbook_checked(self, message: PlaybookChecked) -> None:
        """Say loudly, once per error, that the playbook file was refused (and when it is fixed)."""
        if message.refused == self.playbook_refused:
            return
        if message.refused:
            self.notify(message.refused, title="Playbook refused", severity="error", timeout=30, markup=False)
        else:
            self.notify("The playbook file is valid again and in use.", title="Playbook")
        self.playbook_refused = message.refused
        if self.desk.is_mounted:
            self.desk.query_one(StatusBar).playbook_refused = message.refused

    # -- threads opened ---------------------------------------------------------------------------

    def on_thread_opened(self, message: ThreadOpened) -> None:
        """Read the opened thread from its network (once a minute at most per conversation)."""
        post = message.post
        source = next((s for s in self.sources if s.name == post.account and s.network == post.network), None)
        if source is None or self.ctx.offline:
            return
        key = (post.network, post.conversation_id or post.native_id)
        now = self.clock()
        last = self._threads_refreshed.get(key)
        if last is not None and now - last < self.THREAD_REFRESH_EVERY:
            return
        # Only the last minute's conversations matter: over a shift the agent opens thousands.
        for stale in [
            k for k, at in self._threads_refreshed.items() if now - at >= self.THREAD_REFRESH_EVERY
        ]:
            del self._threads_refreshed[stale]
        self._threads_refreshed[key] = now
        self.run_worker(
            partial(self._refresh_thread, source, post),
            thread=True,
            group="thread-refresh",
            exit_on_error=False,
            description="Refreshing the thread",
        )

    def _refresh_thread(self, source: Source, post: PostRow) -> None:
        from socialdesk.services.threads import refresh_thread

        if self._triage is None and self._triage_factory is not None:
            self._triage = self._triage_factory()  # follow-ups are triaged as synced posts are
        refreshed = refresh_thread(self.ctx.store, source.connector, post, self._triage)
        self.desk.post_message(ThreadRefreshed(refreshed))

    # -- the command palette ----------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own commands (keys, quit ...) plus the desk's; the desk's themes replace its picker."""
        for command in super().get_system_commands(screen):
            if command.title != "Theme":  # Textual's picker lists its own themes beside ours
                yield command
        desk = self.desk
        for queue in desk.triage_queues:
            yield SystemCommand(
                f"Queue: {queue.name}",
                f"Show the saved queue '{queue.name}' (key {queue.key})",
                partial(desk.action_triage_queue, queue.key),
            )
        for theme in sorted(self.available_themes):
            if theme.startswith("socialdesk"):
                yield SystemCommand(
                    f"Theme: {theme}", "Switch the desk's colours", partial(setattr, self, "theme", theme)
                )
        yield SystemCommand(
            "Search posts", "Search the cache with the query language (/)", desk.action_search
        )
        yield SystemCommand(
            "Next conversation", "Claim the most urgent unassigned conversation (n)", desk.action_triage_next
        )
        yield SystemCommand("Outbox", "Replies queued, waiting, failed or sent (o)", desk.action_reply_outbox)
        yield SystemCommand("Approvals", "Replies waiting for an approver (A)", desk.action_triage_approvals)
        yield SystemCommand(
            "Metrics", "Volume, response times, SLA and backlog for a period (M)", desk.action_metrics
        )
        yield SystemCommand(
            "Edit the draft in $EDITOR",
            "Write the reply in your own editor (ctrl+e)",
            desk.action_reply_editor,
        )
        yield SystemCommand(
            "Pipe the thread to a command",
            "Plain text, or JSON with -j, as aerc pipes (|)",
            desk.action_pipe_thread,
        )
        yield SystemCommand(
            "Merge conversation", "Into another ticket of the same customer (m)", desk.action_ticket_merge
        )
        yield SystemCommand(
            "Split conversation", "This post and its replies into a new ticket (s)", desk.action_ticket_split
        )
        yield SystemCommand("Undo merge or split", "The last one (U)", desk.action_ticket_undo)
        yield SystemCommand(
            "Customer profile",
            "E-mail, order number, CRM id kept on the customer (i)",
            desk.action_profile_edit,
        )
        yield SystemCommand("Open in CRM", "The customer in the team's CRM (L)", desk.action_profile_crm)
        yield SystemCommand(
            "Attachments", "The post's media with alt text; preview images (v)", desk.action_view_media
        )
        yield SystemCommand(
            "Block, mute or report",
            "The author, through the network, after a review (B)",
            desk.action_moderate,
        )
        yield SystemCommand(
            "Send later",
            "Schedule the reply (09:00, tomorrow 09:00, +2h) through the outbox (ctrl+o)",
            desk.action_reply_later,
        )
        yield SystemCommand("Sync now", "Fetch new posts from every account", self.sync_now)
        yield SystemCommand(
            "Notifications", "What the playbook's rules and automations told you", self.show_notices
        )
        if self.team_url:
            yield SystemCommand(
                "Supervisor",
                "Each agent's claims, queue sizes, SLA breaches (T)",
                desk.action_team_supervisor,
            )
        yield SystemCommand("Help: every key", "List every binding with its id (?)", desk.action_help)

    # -- a crash is never silent ---------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """An error nobody handled stops the desk (Textual's rule): log it and keep a one-line summary for
        the launcher to print on exit; Textual's traceback (with locals) goes to the log, not the screen."""
        from socialdesk import crash

        if self.crash is None:
            self.crash = crash.one_line(error, always_log=True)
        super()._handle_exception(error)
        self._exit_renderables.clear()

    # -- one place where worker failures become notifications -----------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from socialdesk.sanitize import clean
            from socialdesk.secrets import redact

            error = event.worker.error
            what = event.worker.description or event.worker.name
            self.notify(
                f"{what} failed: {clean(redact(str(error)), single_line=True)[:200]}",
                title=type(error).__name__,
                severity="error",
                timeout=8,
                markup=False,  # server and exception text is never markup
            )
