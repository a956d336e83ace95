"""A read-only modal of plain-text lines (one cleaned line each), titled, with a hint; escape closes it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from socialdesk.sanitize import clean


class LinesScreen(ModalScreen[None]):
    """Lines that came from the network or the playbook, shown as plain Text (never markup).

    A subclass names its `HEADING`, `HINT`, what to say when there are no lines (`EMPTY`), and its
    close `BINDINGS` (their ids are the user's keymap).
    """

    DEFAULT_CSS = """
    LinesScreen { align: center middle; }
    LinesScreen > Vertical {
        width: 90; height: auto; max-height: 80%; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    LinesScreen VerticalScroll { height: auto; max-height: 30; }
    LinesScreen .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = []
    HEADING = ""
    HINT = "escape close"
    EMPTY = ""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.HEADING)
            with VerticalScroll():
                body = "\n".join(clean(line, single_line=True) for line in self.lines)
                yield Static(Text(body or self.EMPTY))
            yield Static(self.HINT, classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
