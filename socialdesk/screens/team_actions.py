"""A team desk's keys and marks: `n` claims from the team's queue, resolving releases, presence is shown.

`TeamActions` is a mixin for the desk screen, first in its bases: on a solo desk (`team` is None)
every action goes on to the triage keys unchanged. Team I/O runs in thread workers (services/
team_desk.py) that end by posting a result message; the feed's marks and the thread's team line are
attributes the handlers set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.messages import TeamLinkChanged, TeamPulled, ThreadLoaded, WindowLoaded
from socialdesk.sanitize import clean
from socialdesk.screens.detail_actions import ThreadShown
from socialdesk.screens.host import HostScreen
from socialdesk.screens.triage_actions import TriageChanged, TriageOutcome, describe, plural
from socialdesk.services import feed_window
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.status_bar import StatusBar
from socialdesk.widgets.team_bar import TeamBar

if TYPE_CHECKING:
    from socialdesk.models import PostRow
    from socialdesk.presence import TeamMark
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.team.supervisor import SupervisorView

TEAM_BINDINGS: list[Binding] = [
    Binding("T", "team_supervisor", "Supervisor", show=False, id="team.supervisor"),
]


class TeamMarksLoaded(Message):
    """The marks of the feed's loaded rows and of the conversation the thread shows were read."""

    def __init__(
        self,
        marks: dict[tuple[str, str], TeamMark],
        shown: TeamMark | None,
        post_id: int | None,
        collisions: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        super().__init__()
        self.marks = marks
        self.shown = shown
        self.post_id = post_id
        self.collisions = collisions  # (agent, state, text) of replies others queued while we drafted


class SupervisorRead(Message):
    """The supervisor's figures were read to open their screen (or why they cannot be shown)."""

    def __init__(self, view: SupervisorView | None, error: str = "") -> None:
        super().__init__()
        self.view = view
        self.error = error


class TeamActions(HostScreen):
    """Mixin: the team side of the desk (`self` is a `screens.host.DeskHost` with a feed)."""

    team: TeamDesk | None = None
    _typing_at: dict[int, float]
    # When the agent started drafting on a post (server clock), and others' replies since then.
    _draft_started: dict[int, float]
    _collisions: tuple[int | None, tuple[tuple[str, str, str], ...]] = (None, ())
    _shown_mark: tuple[int | None, TeamMark | None] = (None, None)
    _refused_shown: frozenset[str] | set[str] = frozenset()  # accounts the status bar shows as refused

    # -- claiming and resolving ------------------------------------------------------------------------

    def action_triage_next(self) -> None:
        """`n`: claim the next conversation of the team's queue (with a lease) and open it."""
        team = self.team
        if team is None:
            super().action_triage_next()  # type: ignore[misc]
            return
        self.run_worker(
            lambda: self._claim_next(team),
            thread=True,
            group="triage",
            exit_on_error=False,
            description="Claiming the next conversation",
        )

    def _claim_next(self, team: TeamDesk) -> None:
        from socialdesk.store.queries import get_post

        try:
            got = team.claim_next()
            if got is None:
                outcome = TriageOutcome("The team's queue is empty: nothing to claim")
            elif got.post_id is None:
                said = f"Claimed conversation {got.conversation_id}: its posts are on their way"
                outcome = TriageOutcome(said)
            else:
                row = get_post(team.store.conn, got.post_id)
                said = f"Claimed {describe(row)}" if row is not None else "Claimed"
                if got.taken_over_from:
                    said += f" (from {got.taken_over_from}, whose lease had ended)"
                outcome = TriageOutcome(said, select=got.post_id, changed=[got.post_id])
        except UserError as exc:
            outcome = TriageOutcome(error=str(exc))
        self.post_message(TriageChanged(outcome))

    def action_triage_resolve(self) -> None:
        """`e`: resolve for the team (and release the claim); refused while someone else holds it."""
        team = self.team
        if team is None:
            super().action_triage_resolve()  # type: ignore[misc]
            return
        ids = (
            sorted(self.marked_ids)
            if self.marked_ids
            else ([self.selected_post.id] if self.selected_post is not None else [])
        )
        if not ids:
            self.notify("Nothing selected", severity="warning")
            return
        self.marked_ids.clear()
        self.run_worker(
            lambda: self._resolve(team, ids),
            thread=True,
            group="triage",
            exit_on_error=False,
            description="Resolving",
        )

    def _resolve(self, team: TeamDesk, ids: list[int], then_next: bool = False) -> None:
        done = journalled = 0
        errors: list[str] = []
        for post_id in ids:
            try:
                if team.resolve(post_id):
                    done += 1
                else:
                    journalled += 1
            except UserError as exc:
                errors.append(str(exc))
        if errors:
            outcome = TriageOutcome(error=f"Not resolved: {errors[0]}", changed=ids)
        elif journalled:
            outcome = TriageOutcome(
                f"Resolved offline: {plural(journalled, 'conversation')} will reach the team when its"
                " database is back",
                changed=ids,
            )
        else:
            outcome = TriageOutcome(f"Resolved: {plural(done, 'conversation')}", changed=ids)
        self.post_message(TriageChanged(outcome))
        if then_next and not errors:
            self._claim_next(team)

    def action_triage_resolve_next(self) -> None:
        """`E`: resolve the selected conversation for the team, then claim the next one."""
        team = self.team
        if team is None:
            super().action_triage_resolve_next()  # type: ignore[misc]
            return
        post = self.selected_post
        if post is None:
            self.action_triage_next()
            return
        self.run_worker(
            lambda: self._resolve(team, [post.id], then_next=True),
            thread=True,
            group="triage",
            exit_on_error=False,
            description="Resolving and claiming the next",
        )

    # -- refusing to act on a colleague's conversation ---------------------------------------------------

    def held_by_colleague(self, post: PostRow | None) -> str:
        """Who else holds the post's conversation, as last read ("" nobody, or a solo desk)."""
        team = self.team
        if team is None or post is None:
            return ""
        key = (post.network, post.conversation_id or post.native_id)
        mark = self.query_one(FeedList).team_marks.get(key)
        if mark is None:
            shown_id, shown = self._shown_mark
            mark = shown if shown_id == post.id else None
        return mark.holder if mark is not None and mark.holder != team.agent else ""

    def _refused(self) -> bool:
        holder = self.held_by_colleague(self.selected_post)
        if holder:
            self.notify(
                f"{holder} holds this conversation: nothing is sent over their work (n claims another)",
                severity="error",
                markup=False,
            )
        return bool(holder)

    def action_reply_send(self, send_at: float | None = None) -> None:
        if not self._refused():
            super().action_reply_send(send_at)  # type: ignore[misc]

    def action_reply_private(self) -> None:
        if not self._refused():
            super().action_reply_private()  # type: ignore[misc]

    def action_reply_split(self) -> None:
        if not self._refused():
            super().action_reply_split()  # type: ignore[misc]

    # -- the supervisor's screen -----------------------------------------------------------------------

    def action_team_supervisor(self) -> None:
        """`T`: the supervisor's screen (supervisors only: the team database checks the role)."""
        team = self.team
        if team is None:
            said = "The supervisor's screen is for a team desk ([team] url in config)"
            self.notify(said, severity="warning")
            return
        self.run_worker(
            lambda: self._read_supervisor(team),
            thread=True,
            group="supervisor",
            exclusive=True,
            exit_on_error=False,
            description="Reading the team",
        )

    def _read_supervisor(self, team: TeamDesk) -> None:
        try:
            self.post_message(SupervisorRead(team.supervisor_view()))
        except UserError as exc:
            self.post_message(SupervisorRead(None, str(exc)))

    def on_supervisor_read(self, message: SupervisorRead) -> None:
        from socialdesk.screens.supervisor import SupervisorScreen

        if message.view is None or self.team is None:
            self.notify(message.error, severity="error", markup=False)
            return
        self.app.push_screen(SupervisorScreen(self.team, message.view))

    # -- the change feed --------------------------------------------------------------------------------

    def on_team_pulled(self, message: TeamPulled) -> None:
        pulled = message.pulled
        if pulled.new_post_ids:
            self._feed_op(feed_window.arrivals)  # type: ignore[attr-defined]
            self.refresh_queue_counts()  # type: ignore[attr-defined]
        if pulled.conversations:
            self.refresh_feed()
            self.refresh_queue_counts()  # type: ignore[attr-defined]
        if pulled.conversations or pulled.threads or pulled.customers:
            self.refresh_thread()  # its status, a colleague's note or reply, the customer's fields
        self.refresh_team_marks()  # presence and claims only change the marks: never a thread reload
        if pulled.playbook is not None:
            version, by = pulled.playbook
            self.notify(f"The team's canned replies changed: v{version} by {by}", markup=False)
        if pulled.refused is not None:
            self._show_refused(pulled.refused)
        for account, why in pulled.newly_refused:
            said = f"{account} needs the hub's attention: the network refused its credentials ({why})"
            self.notify(said, severity="warning", markup=False, timeout=15)
        if pulled.notices:  # the team's notices: shown now, by the pass that shows the desk's own
            self.app.run_automations()  # type: ignore[attr-defined]
        from socialdesk.screens.supervisor import SupervisorScreen

        if isinstance(self.app.screen, SupervisorScreen):
            self.app.screen.reload()  # live: what changed may be a claim, a status or a new post

    def on_team_link_changed(self, message: TeamLinkChanged) -> None:
        link = message.link
        self.query_one(StatusBar).offline = not link.online
        if not link.online:
            said = f"Team database unreachable: {link.reason}"
            self.notify(said, severity="warning", markup=False, timeout=10)
            return
        for line in link.replayed.conflicts:
            self.notify(line, title="Not applied", severity="error", markup=False, timeout=30)
        if link.replayed.conflicts or link.replayed.applied:
            self.refresh_feed()  # the cache went back to the team's state where a conflict was found
            self.refresh_thread()
        if link.replayed.applied:
            self.notify(f"Back online: {plural(link.replayed.applied, 'offline action')} reached the team")
        for conversation_id in link.lost_claims:
            said = f"Your claim on conversation {conversation_id} ended (its lease was lost)"
            self.notify(said, severity="warning")

    def _show_refused(self, refused: dict[str, str]) -> None:
        """Show in the status bar each account whose credentials the network refuses to the hub (a team
        desk syncs nothing itself, so these are the only accounts its status bar names)."""
        states: dict[str, tuple[str, str, str, str]] = self._source_states  # type: ignore[attr-defined]
        for gone in self._refused_shown - refused.keys():
            states.pop(gone, None)
        for account in refused:
            states[account] = (account, "needs auth", "refused the hub's credentials", "")
        self._refused_shown = set(refused)
        self.query_one(StatusBar).sources = tuple(states.values())

    # -- marks: who holds, views and types ----------------------------------------------------------------

    def refresh_team_marks(self) -> None:
        """Read the marks of the loaded rows and of the shown conversation, in a worker."""
        team = self.team
        if team is None:
            return
        keys = [(r.network, r.conversation_id or r.native_id) for r in self.feed.window.rows]  # type: ignore[attr-defined]
        post_id = self._shown_post  # type: ignore[attr-defined]
        since = getattr(self, "_draft_started", {}).get(post_id) if post_id is not None else None
        self.run_worker(
            lambda: self._read_marks(team, keys, post_id, since),
            thread=True,
            group="team-marks",
            exclusive=True,
            exit_on_error=False,
            description="Reading who works on what",
        )

    def _read_marks(
        self, team: TeamDesk, keys: list[tuple[str, str]], post_id: int | None, since: float | None
    ) -> None:
        from socialdesk.store import team_cache

        conn, now = team.store.conn, team.server_now()
        marks = team_cache.marks(conn, keys, now, team.agent)
        shown = None
        collisions: list[tuple[str, str, str]] = []
        if post_id is not None and (found := team_cache.conversation_of(conn, post_id)) is not None:
            shown = team_cache.mark(conn, found[0], now, team.agent)
            if since is not None:
                collisions = team_cache.replies_since(conn, found[0], since, team.agent)
        self.post_message(TeamMarksLoaded(marks, shown, post_id, tuple(collisions)))

    def on_team_marks_loaded(self, message: TeamMarksLoaded) -> None:
        team = self.team
        if team is None:
            return
        self.query_one(FeedList).team_marks = message.marks
        if message.post_id != self._shown_post:  # type: ignore[attr-defined]
            return
        bar = self.query_one(TeamBar)
        shown = message.shown
        self._collisions = (message.post_id, message.collisions)
        self._shown_mark = (message.post_id, shown)
        line = shown.line(team.agent) if shown is not None else ""
        if message.collisions:
            line = " · ".join(p for p in (collision_line(message.collisions), line) if p)
        bar.line = line
        bar.held = bool(message.collisions) or (shown is not None and shown.holder not in ("", team.agent))

    def _review_note(self, post: PostRow) -> str:
        """The review's warnings, and first of all a colleague's reply that landed while we drafted."""
        note: str = super()._review_note(post)  # type: ignore[misc]
        post_id, collisions = self._collisions
        if self.team is None or post_id != post.id or not collisions:
            return note
        return ". ".join(n for n in (collision_line(collisions, full=True), note) if n)

    def on_window_loaded(self, message: WindowLoaded) -> None:
        self.refresh_team_marks()

    @on(ThreadLoaded)
    def _team_marks_of_the_thread(self, message: ThreadLoaded) -> None:
        """The thread's team line follows it (not `on_thread_loaded`: the preload calls DetailActions')."""
        self.refresh_team_marks()

    def on_thread_shown(self, message: ThreadShown) -> None:
        """Say the agent views this conversation (and no longer the one before)."""
        team = self.team
        if team is None:
            return
        post_id = message.focus.id
        self.run_worker(
            lambda: self._present(team, post_id, "viewing"),
            thread=True,
            group="team-presence",
            exit_on_error=False,
            description="Saying where you are",
        )

    def on_composer_changed(self, message: Composer.Changed) -> None:
        """Say the agent is typing a reply here (the service sends one mark every few seconds at most)."""
        team = self.team
        post_id = self._draft_post  # type: ignore[attr-defined]
        if team is None or post_id is None:
            return
        if not hasattr(self, "_typing_at"):
            self._typing_at, self._draft_started = {}, {}
        if not message.text.strip():
            self._draft_started.pop(post_id, None)  # the draft is gone: a new one starts afresh
            return
        self._draft_started.setdefault(post_id, team.server_now())
        from socialdesk.services.team_desk import TYPING_EVERY

        now = team.clock()
        if now - self._typing_at.get(post_id, float("-inf")) < TYPING_EVERY:
            return
        self._typing_at[post_id] = now
        self.run_worker(
            lambda: self._present(team, post_id, "typing"),
            thread=True,
            group="team-presence",
            exit_on_error=False,
            description="Saying you are typing",
        )

    def _present(self, team: TeamDesk, post_id: int, activity: str) -> None:
        from socialdesk.services.team_desk import TeamOffline
        from socialdesk.store import team_cache

        found = team_cache.conversation_of(team.store.conn, post_id)
        try:
            if activity == "viewing":
                team.view(found[0] if found is not None else None)
            elif found is not None:
                team.present(found[0], activity)
        except TeamOffline:
            pass  # the status bar says OFFLINE already (the feed's link); presence is best effort


def collision_line(collisions: tuple[tuple[str, str, str], ...], full: bool = False) -> str:
    """`⚠ bob replied while you were drafting` (with the reply's words and state when `full`)."""
    agent, state, text = (clean(part, single_line=True) for part in collisions[-1])
    others = f" (and {len(collisions) - 1} more)" if len(collisions) > 1 else ""
    line = f"⚠ {agent} replied while you were drafting{others}"
    if full:
        words = text if len(text) <= 60 else text[:59] + "…"
        line += f": \u201c{words}\u201d [{state}]. Read the thread before you send"
    return line
