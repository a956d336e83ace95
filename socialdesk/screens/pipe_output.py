"""What a command the thread was piped to printed, as plain text in a scrolling modal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from socialdesk.sanitize import clean


class PipeOutputScreen(ModalScreen[None]):
    """The output of `| command` (never markup, control characters neutralised); escape or q closes it."""

    DEFAULT_CSS = """
    PipeOutputScreen {
        align: center middle;
        & > Vertical { width: 90%; max-width: 120; height: 80%; border: thick $primary;
                       background: $surface; padding: 0 1; }
        & #pipe-title { text-style: bold; height: auto; }
        & VerticalScroll { height: 1fr; }
        & #pipe-keys { color: $text-muted; height: 1; }
    }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="pipe.close"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="pipe.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="pipe.page_up"),
        Binding("j,down", "line(1)", "Down", show=False, id="pipe.down"),
        Binding("k,up", "line(-1)", "Up", show=False, id="pipe.up"),
    ]

    def __init__(self, command: str, output: str, truncated: bool = False) -> None:
        super().__init__()
        self.command = command
        self.output = output
        self.truncated = truncated

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"| {clean(self.command, single_line=True)}"), id="pipe-title")
            with VerticalScroll():
                shown = clean(self.output) or "(no output)"
                if self.truncated:
                    shown += "\n… (output cut: only the first part is shown)"
                yield Static(Text(shown), id="pipe-output")
            yield Static(Text("PgDn/PgUp or j/k scroll · escape closes"), id="pipe-keys")

    def action_page(self, direction: int) -> None:
        scroller = self.query_one(VerticalScroll)
        if direction > 0:
            scroller.scroll_page_down(animate=False)
        else:
            scroller.scroll_page_up(animate=False)

    def action_line(self, direction: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=direction, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
