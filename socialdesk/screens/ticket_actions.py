"""Ticket keys on the desk: merge the conversation into another ticket (m), split it (s), undo (U).

Mix `TicketActions` into the desk screen and add `TICKET_BINDINGS` to its BINDINGS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.screens.host import HostScreen

if TYPE_CHECKING:
    from socialdesk.services.ticket_changes import TicketChange
    from socialdesk.store import Store

TICKET_BINDINGS: list[Binding] = [
    Binding("m", "ticket_merge", "Merge", id="ticket.merge", show=False),
    Binding("s", "ticket_split", "Split", id="ticket.split", show=False),
    Binding("U", "ticket_undo", "Undo merge/split", id="ticket.undo", show=False),
]


class TicketChanged(Message):
    """A merge, split or undo finished: what it did (or why it could not), and how to undo it."""

    def __init__(self, text: str, change: TicketChange | None = None, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.change = change
        self.error = error


class TicketActions(HostScreen):
    """Actions bound by TICKET_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    _ticket_change: TicketChange | None = None  # the last merge or split, which U undoes

    def _ticket_post(self) -> int | None:
        post = self.selected_post
        if post is None:
            self.notify("Select a post of the conversation first", severity="warning")
            return None
        return post.id

    def action_ticket_merge(self) -> None:
        """Ask which ticket to merge this conversation into (the same customer's), then merge."""
        from socialdesk.screens.note import PromptScreen
        from socialdesk.services import ticket_changes

        post_id = self._ticket_post()
        if post_id is None:
            return

        def answered(into: str | None) -> None:
            if into:
                self._ticket_work(lambda store, agent: ticket_changes.merge(store, agent, post_id, into))

        title = "Merge this conversation into ticket (the same customer's; U undoes it)"
        self.app.push_screen(PromptScreen(title, "e.g. T-1042"), answered)

    def action_ticket_split(self) -> None:
        """Move the selected post and the replies under it to a new ticket."""
        from socialdesk.services import ticket_changes

        post_id = self._ticket_post()
        if post_id is not None:
            self._ticket_work(lambda store, agent: ticket_changes.split(store, agent, post_id))

    def action_ticket_undo(self) -> None:
        """Undo the last merge or split."""
        from socialdesk.services import ticket_changes

        change = self._ticket_change
        if change is None:
            self.notify("No merge or split to undo", severity="warning")
            return
        self._ticket_change = None
        self._ticket_work(lambda store, agent: ticket_changes.undo(store, agent, change))

    def _ticket_work(self, act: Callable[[Store, str], TicketChange | str]) -> None:
        store, agent = self.ctx.store, self.ctx.agent.name

        def work() -> None:
            try:
                outcome = act(store, agent)
            except UserError as exc:
                self.post_message(TicketChanged(str(exc), error=True))
                return
            if isinstance(outcome, str):
                self.post_message(TicketChanged(outcome))
            else:
                self.post_message(TicketChanged(outcome.message, outcome))

        self.run_worker(
            work, thread=True, exit_on_error=False, group="tickets", description="Changing tickets"
        )

    def on_ticket_changed(self, message: TicketChanged) -> None:
        if message.error:
            self.notify(message.text, severity="error", markup=False)
            return
        if message.change is not None:
            self._ticket_change = message.change
        self.notify(message.text, markup=False)
        self.refresh_thread()
