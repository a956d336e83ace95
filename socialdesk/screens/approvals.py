"""The approver's queue: replies on escalated conversations waiting for approval (a approve, r reject)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from socialdesk.sanitize import clean
from socialdesk.store.replies import PendingApproval

if TYPE_CHECKING:
    from socialdesk.context import Context
    from socialdesk.services.outbox import Outbox

PAGE = 50


class ApprovalsScreen(Screen[None]):
    """Replies awaiting approval, oldest first; the first page of PAGE rows, `m` loads the next page."""

    DEFAULT_CSS = """
    ApprovalsScreen #approvals-title { height: 1; background: $panel; padding: 0 1; }
    ApprovalsScreen OptionList { height: 1fr; }
    """
    AUTO_FOCUS = "#approvals-list"
    BINDINGS = [
        Binding("a", "approve", "Approve", id="approvals.approve"),
        Binding("r", "reject", "Reject", id="approvals.reject"),
        Binding("m", "more", "More", id="approvals.more"),
        Binding("escape", "close", "Back", id="approvals.close"),
    ]

    class Loaded(Message):
        """A page of pending approvals was read."""

        def __init__(self, rows: list[PendingApproval], more: bool, append: bool) -> None:
            super().__init__()
            self.rows = rows
            self.more = more
            self.append = append

    class Decided(Message):
        """A reply was approved (or rejected): the app's outbox worker may have work."""

        def __init__(self, reply_id: int, approved: bool) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.approved = approved

    def __init__(self, ctx: Context, outbox: Outbox) -> None:
        super().__init__()
        self.ctx = ctx
        self.outbox = outbox
        self.rows: list[PendingApproval] = []
        self.more = False

    def compose(self) -> ComposeResult:
        yield Static("Replies awaiting approval", id="approvals-title")
        yield OptionList(id="approvals-list")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(
        thread=True, group="approvals", exclusive=True, exit_on_error=False, description="Reading approvals"
    )
    def load(self, after_id: int | None = None) -> None:
        """Read a page of pending approvals (after `after_id` to append the next page)."""
        rows, more = self.outbox.awaiting_approval(after_id, PAGE)
        self.post_message(self.Loaded(rows, more, after_id is not None))

    def on_approvals_screen_loaded(self, message: Loaded) -> None:
        self.rows = [*self.rows, *message.rows] if message.append else list(message.rows)
        self.more = message.more
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(self._label(r), id=str(r.reply_id)) for r in self.rows])
        if self.rows:
            options.highlighted = min(highlighted or 0, len(self.rows) - 1)
        title = f"Replies awaiting approval: {len(self.rows)}{'+' if self.more else ''}"
        self.query_one("#approvals-title", Static).update(Text(title))

    @staticmethod
    def _label(row: PendingApproval) -> Text:
        text = Text()
        text.append(f"{clean(row.author_handle, single_line=True)}: ", style="bold")
        text.append(clean(row.post_text, single_line=True)[:100], style="dim")
        text.append(f"\n  ↳ {clean(row.agent, single_line=True)}: ")
        text.append(clean(row.text, single_line=True))
        return text

    @property
    def current(self) -> PendingApproval | None:
        """The highlighted reply."""
        index = self.query_one(OptionList).highlighted
        return self.rows[index] if index is not None and 0 <= index < len(self.rows) else None

    def action_approve(self) -> None:
        if self.current is not None:
            self._decide(self.current.reply_id, True)

    def action_reject(self) -> None:
        if self.current is not None:
            self._decide(self.current.reply_id, False)

    def action_more(self) -> None:
        if self.more and self.rows:
            self.load(self.rows[-1].reply_id)

    def action_close(self) -> None:
        self.dismiss(None)

    @work(thread=True, group="approvals-decide", exit_on_error=False, description="Approving a reply")
    def _decide(self, reply_id: int, approve: bool) -> None:
        from socialdesk.errors import UserError

        agent = self.ctx.agent
        try:
            if approve:
                self.outbox.approve(reply_id, agent)
            else:
                self.outbox.discard(reply_id, agent.name)
        except UserError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.post_message(self.Decided(reply_id, approve))

    def on_approvals_screen_decided(self, message: Decided) -> None:
        self.notify(
            f"Reply {message.reply_id} {'approved' if message.approved else 'rejected'}", markup=False
        )
        self.rows = [r for r in self.rows if r.reply_id != message.reply_id]
        self.load()
