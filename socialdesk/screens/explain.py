"""Why is this post here: the rules that fired for the selected post, in order (the `w` key)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from socialdesk.sanitize import clean


class ExplainScreen(ModalScreen[None]):
    """Shows an explanation's lines (plain text); escape or `w` closes it."""

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen > Vertical {
        width: 90; height: auto; max-height: 80%; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    ExplainScreen VerticalScroll { height: auto; max-height: 30; }
    ExplainScreen .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,w", "close", "Close", id="explain.close"),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Why is this post here?")
            with VerticalScroll():
                # Rule names and tags come from the playbook, handles from the network: plain Text.
                yield Static(Text("\n".join(clean(line, single_line=True) for line in self.lines)))
            yield Static("escape close · socialdesk rules explain POST prints the same", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
