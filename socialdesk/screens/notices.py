"""The agent's recent notices (what rules and automations with `notify` raised), from the palette."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from socialdesk.sanitize import clean


class NoticesScreen(ModalScreen[None]):
    """Recent notices, newest first, as plain lines; escape closes it."""

    DEFAULT_CSS = """
    NoticesScreen { align: center middle; }
    NoticesScreen > Vertical {
        width: 100; height: auto; max-height: 80%; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    NoticesScreen VerticalScroll { height: auto; max-height: 30; }
    NoticesScreen .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="notices.close")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Notifications")
            with VerticalScroll():
                # Post text and handles come from the network: plain Text, one cleaned line each.
                body = "\n".join(clean(line, single_line=True) for line in self.lines)
                yield Static(
                    Text(body or "Nothing yet: rules and automations with notify leave notices here.")
                )
            yield Static('escape close · notify = "desk" in the playbook sends them', classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
