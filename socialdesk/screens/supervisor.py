"""The supervisor's screen: each agent's claimed conversations, live queue sizes and SLA breaches.

Opened with `T` or the palette on a team desk, for supervisors only (the team database checks the
role: `team/roles.py`). Read again whenever the team database changes and every few seconds (SLA
breaches grow with time alone), each time in a worker that ends with `SupervisorLoaded`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static

from socialdesk.errors import UserError
from socialdesk.widgets.supervisor_panel import SupervisorPanel

if TYPE_CHECKING:
    from socialdesk.services.team_desk import TeamDesk
    from socialdesk.team.supervisor import SupervisorView


class SupervisorLoaded(Message):
    """The supervisor's figures were read (or why not)."""

    def __init__(self, view: SupervisorView | None, error: str = "") -> None:
        super().__init__()
        self.view = view
        self.error = error


class SupervisorScreen(Screen[None]):
    """The team's figures, live; escape goes back to the desk."""

    DEFAULT_CSS = """
    SupervisorScreen {
        & > Vertical { padding: 1 2; }
        & #supervisor-title { text-style: bold; }
        & #supervisor-error { color: $error; }
        & .hint { color: $text-muted; }
    }
    """
    BINDINGS = [Binding("escape,T", "close", "Back", id="supervisor.close")]
    EVERY = 5.0  # seconds between reads besides those the team database's changes start

    def __init__(self, team: TeamDesk, view: SupervisorView) -> None:
        super().__init__()
        self.team = team
        self.first = view

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Supervisor · the team's queue now", id="supervisor-title")
            yield Static("", id="supervisor-error")
            yield SupervisorPanel()
            yield Static("escape back to the desk · refreshed as the team works", classes="hint")

    def on_mount(self) -> None:
        self.query_one(SupervisorPanel).view = self.first
        self.set_interval(self.EVERY, self.reload)

    @work(
        thread=True, exclusive=True, group="supervisor", exit_on_error=False, description="Reading the team"
    )
    def reload(self) -> None:
        """Read the figures again (a worker; posts SupervisorLoaded)."""
        try:
            self.post_message(SupervisorLoaded(self.team.supervisor_view()))
        except UserError as exc:
            self.post_message(SupervisorLoaded(None, str(exc)))

    def on_supervisor_loaded(self, message: SupervisorLoaded) -> None:
        self.query_one("#supervisor-error", Static).update(message.error)
        if message.view is not None:
            self.query_one(SupervisorPanel).view = message.view

    def action_close(self) -> None:
        self.dismiss(None)
