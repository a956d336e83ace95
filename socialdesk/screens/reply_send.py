"""Sending a reply from the desk: review, queue with the undo window, schedule, and undo.

`ReplySend` is the core of `ReplyActions` (screens/reply_actions.py); `self` is the desk screen, which
implements `socialdesk.screens.host.DeskHost`. Store work runs in thread workers that end in messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import Input

from socialdesk import compose
from socialdesk.errors import UserError
from socialdesk.screens.host import HostScreen

if TYPE_CHECKING:
    from socialdesk.models import PostRow
    from socialdesk.screens.review import ReviewData
    from socialdesk.services.macros import Macros


class ReplyQueued(Message):
    """Replies were written to the outbox (the undo window is running)."""

    def __init__(
        self, post_id: int, reply_ids: list[int], text: str, undo_seconds: float, note: str = ""
    ) -> None:
        super().__init__()
        self.post_id = post_id
        self.reply_ids = reply_ids
        self.text = text
        self.undo_seconds = undo_seconds
        self.note = note


class ReplyUndone(Message):
    """An undo was attempted: `text` is what came back (None: too late)."""

    def __init__(self, post_id: int | None, text: str | None) -> None:
        super().__init__()
        self.post_id = post_id
        self.text = text


class ReplyRefused(Message):
    """Queueing failed for a reason the agent can act on."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def final_text(post: PostRow, text: str, dm: bool = False) -> str:
    """The exact text that will be posted: the network's mentions, then the agent's words."""
    if dm:
        return text.strip()
    prefix = compose.reply_prefix(post.network, [post.author_handle], own=(post.account,))
    return compose.with_prefix(prefix, text)


class ReplySend(HostScreen):
    """Send later, send and undo; the helpers every way of replying shares (`self` is the desk)."""

    _reply_macros: Macros | None = None
    _team_macros: tuple[int, Macros] | None = None  # a team desk's: (version, its canned replies)
    _last_reply: tuple[int, int] | None = None  # (post id, first reply id) of the last queued reply
    _last_reply_text = ""  # what the composer held when it was queued (undo puts it back)
    _undo_toast: Notification | None = None  # the "press u to undo" toast, taken down by the undo

    # -- services ------------------------------------------------------------------------------

    @property
    def reply_macros(self) -> Macros:
        """The playbook's canned replies (read on first use; the last good playbook's when it is broken).

        A team desk's are the team's set as its cache last read it (read at each use: the change feed
        may bring a new version), never its own playbook file's (README: Team).
        """
        if self.ctx.settings.team.url:
            from socialdesk.services.team_playbook import team_macros, team_version

            # Checked at each use, parsed once per version (a large set is slow to parse: README).
            version = team_version(self.ctx.store)
            if self._team_macros is None or self._team_macros[0] != version:
                self._team_macros = (version, team_macros(self.ctx.store))
            return self._team_macros[1]
        if self._reply_macros is None:
            from socialdesk.services.macros import parse_macros
            from socialdesk.services.playbook_keeper import keeper_for

            self._reply_macros = parse_macros(keeper_for(self.ctx).current().playbook)
        return self._reply_macros

    def usable_macros(self) -> Macros | None:
        """The canned replies to offer, or None after telling the agent why there are none."""
        try:
            macros = self.reply_macros
        except UserError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return None
        if not macros.items:
            self.notify(f"No canned replies in {macros.source}", severity="warning", markup=False)
            return None
        return macros

    def macros_title(self, macros: Macros) -> str:
        """The picker's title: on a team desk, which version of the team's set it offers."""
        return macros.source if self.ctx.settings.team.url else ""

    def _post_or_warn(self) -> PostRow | None:
        post = self.selected_post
        if post is None:
            self.notify("Select a post to reply to first", severity="warning")
        elif post.is_ours:
            self.notify("That is our own post: select the customer's post to reply to", severity="warning")
            return None
        return post

    def _audience(self, post: PostRow, dm: bool) -> str:
        """Who will see the reply (the review shows it before anything is sent)."""
        from socialdesk.services.audience import reply_audience

        return reply_audience(self.ctx.store, self.ctx.settings.accounts, post, dm)

    # -- send ----------------------------------------------------------------------------------

    def action_reply_later(self) -> None:
        """Ask when the reply should leave ("09:00", "tomorrow 09:00", "+2h"), then review it as scheduled."""
        from socialdesk.screens.note import PromptScreen
        from socialdesk.services.hours import desk_hours
        from socialdesk.services.schedule import EXAMPLES, parse_send_at

        post = self._post_or_warn()
        if post is None:
            return
        if post.status == "escalated":
            self.notify(
                "Escalated: the reply waits for an approver, it cannot be scheduled", severity="warning"
            )
            return
        if not self.composer_text().strip():
            self.notify("The reply is empty", severity="warning")
            return
        zone = desk_hours(self.ctx.settings).zone
        clock = self.outbox.clock  # the clock the outbox sends by

        def validate(text: str) -> str | None:
            try:
                parse_send_at(text, clock(), zone)
            except UserError as exc:
                return str(exc)
            return None

        def answered(text: str | None) -> None:
            if text:
                self.action_reply_send(send_at=parse_send_at(text, clock(), zone))

        title = f"Send at ({zone.key} time): {EXAMPLES}"
        self.app.push_screen(PromptScreen(title, "09:00", validate), answered)

    def action_reply_send(self, send_at: float | None = None) -> None:
        """Open the review of the composer's reply; on confirm, queue it with the undo window.

        Args:
            send_at: when a scheduled reply leaves (unix seconds); None: after the undo window.
        """
        from socialdesk.screens.review import ReviewScreen

        post = self._post_or_warn()
        text = self.composer_text().strip()
        if post is None:
            return
        if not text:
            self.notify("The reply is empty", severity="warning")
            return
        final = final_text(post, text)
        note = self._review_note(post)
        if send_at is not None:
            note = ". ".join(n for n in (self._scheduled_words(send_at), note) if n)
        data = self._public_review(post, final, note)
        if data.over:
            self.notify(
                f"{data.counts[0]}: too long for one post. Shorten it or split it (ctrl+l)", severity="error"
            )
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._queue(post, [final], dm=False, send_at=send_at)

        self.app.push_screen(ReviewScreen(data), confirmed)

    def _public_review(self, post: PostRow, final: str, note: str) -> ReviewData:
        """The review of one public reply `final` to `post`: where it goes, its count, and the hold
        when it would publish personal data."""
        from socialdesk.screens.review import ReviewData

        result = compose.check(final, post.network, *self.composer_rules(), post.content_warning)
        return ReviewData(
            parts=(final,),
            destination=self._audience(post, dm=False),
            account=post.account,
            network=post.network,
            target=f"@{post.author_handle} · post {post.id}",
            counts=(f"{result.count}/{result.limit}",),
            over=result.over,
            note=note,
            hold=self._personal_data_hold([final]),
        )

    def _scheduled_words(self, send_at: float) -> str:
        """ "Scheduled: sends tomorrow 09:00 (Europe/Berlin)", as the review and the toast say it."""
        from socialdesk.services.hours import desk_hours
        from socialdesk.services.schedule import describe

        zone = desk_hours(self.ctx.settings).zone
        return f"Scheduled: sends {describe(send_at, self.outbox.clock(), zone)} ({zone.key})"

    def _review_note(self, post: PostRow) -> str:
        """What the review must warn about before the reply is queued ("" when nothing)."""
        notes = []
        if post.status == "escalated":
            notes.append("Escalated conversation: held until an approver approves it")
        if self.ctx.offline:
            notes.append("Offline (--offline): it waits in the outbox until socialdesk runs online")
        return ". ".join(notes)

    def _ticket_shown(self, post: PostRow | None) -> str:
        """The ticket the thread pane shows for `post`, for a macro's {ticket} ("" when it shows another)."""
        data = self.shown_thread()
        shown = data is not None and post is not None and data.thread.focus.id == post.id
        return data.ticket if shown and data is not None else ""

    def _personal_data_hold(self, public_parts: list[str]) -> str:
        """Why a public reply is held: the personal data it would publish ("" when none)."""
        from socialdesk.services.personal_data import find, summary

        regions = self.ctx.settings.privacy.phone_regions
        found = [f for part in public_parts for f in find(part, regions)]
        if not found:
            return ""
        return f"this public reply contains personal data: {summary(found)}. Take it private (D) instead"

    def _queue(
        self,
        post: PostRow,
        parts: list[str],
        dm: bool,
        private_public: str = "",
        send_at: float | None = None,
    ) -> None:
        outbox = self.outbox
        agent = self.ctx.agent.name
        undo = float(self.ctx.settings.desk.undo_seconds)
        scheduled = self._scheduled_words(send_at) if send_at is not None else ""
        escalated = post.status == "escalated"
        original = self.composer_text()

        def work() -> None:
            try:
                if private_public:
                    ids = outbox.take_private(post.id, parts[0], private_public, agent)
                else:
                    payload: str | list[str] = parts if len(parts) > 1 else parts[0]
                    ids = outbox.enqueue(
                        post.id, payload, agent, dm=dm, needs_approval=escalated, send_at=send_at
                    )
                self.ctx.store.save_draft(post.id, "")
            except UserError as exc:
                self.post_message(ReplyRefused(str(exc)))
                return
            note = "held for approval" if escalated else ""
            if scheduled and not escalated:
                note = f"{scheduled.lower()} · o shows it in the outbox, x there cancels it"
            self.post_message(ReplyQueued(post.id, ids, original, undo, note))

        self.run_worker(work, thread=True, exit_on_error=False, group="reply", description="queue a reply")

    def on_reply_queued(self, message: ReplyQueued) -> None:
        self._last_reply = (message.post_id, message.reply_ids[0])
        self._last_reply_text = message.text
        if self.selected_post is not None and self.selected_post.id == message.post_id:
            self.set_composer_text("")
        self.leave_composer()
        if message.note:
            self.notify(f"Reply {message.note}", markup=False)
        else:
            # Name the key that works where the agent is: a letter typed into a text field is text.
            from textual.widgets import TextArea  # the composer's: imported with it, after the first frame

            typing = isinstance(self.focused, TextArea | Input)
            key = "ctrl+r" if typing else "u"
            when = (
                "waits in the outbox until you are back online"
                if self.ctx.offline
                else f"sends in {message.undo_seconds:g} s"
            )
            self._undo_toast = self._toast(
                f"Reply queued: {when}. Press {key} to undo", "Undo", max(1.0, message.undo_seconds)
            )
        self.refresh_thread()

    def _toast(self, text: str, title: str, timeout: float) -> Notification:
        """Show a toast and return it, so that it can be taken down before its timeout."""
        toast = Notification(text, title, "information", timeout, markup=False)
        self.app.post_message(Notify(toast))
        return toast

    def _take_down_undo_toast(self) -> None:
        toast, self._undo_toast = self._undo_toast, None
        app = self.app
        # Textual's own toasts take themselves down this way when clicked (Toast._on_click).
        if toast is not None and toast in app._notifications:
            app._unnotify(toast)

    def on_reply_refused(self, message: ReplyRefused) -> None:
        self.notify(message.text, severity="error", markup=False)

    # -- undo ----------------------------------------------------------------------------------

    def action_reply_undo(self) -> None:
        """Take back the last queued reply while its undo window is open (text back in the composer)."""
        if self._last_reply is None:
            self.notify("Nothing to undo", severity="warning")
            return
        post_id, reply_id = self._last_reply
        words = self._last_reply_text
        outbox = self.outbox
        store = self.ctx.store

        def work() -> None:
            from socialdesk.errors import UserError

            try:
                text = outbox.undo(reply_id)
            except UserError as exc:  # a team desk that cannot reach the team's outbox: try again
                self.app.call_from_thread(self.notify, f"Not undone: {exc}", severity="error", markup=False)
                return
            if text is not None:
                # The draft is written before the panes are read again: they show it, not the
                # empty draft the send left behind (that reload once wiped the text off the screen).
                text = words or text
                store.save_draft(post_id, text)
            self.post_message(ReplyUndone(post_id, text))

        self.run_worker(work, thread=True, exit_on_error=False, group="reply", description="undo a reply")

    def on_reply_undone(self, message: ReplyUndone) -> None:
        self._take_down_undo_toast()
        if message.text is None:
            self.notify("Too late to undo: the reply has been handed to the network", severity="warning")
            return
        self._last_reply = None
        if self.selected_post is not None and self.selected_post.id == message.post_id:
            self.set_composer_text(message.text)  # the agent's own words: mentions are added on send
            self.notify("Reply taken back into the composer")
        else:
            self.notify("Reply taken back: it is the draft of its post again")
        self.refresh_thread()
