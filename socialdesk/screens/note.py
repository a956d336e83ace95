"""Small modal prompts: an internal note (multi-line) and a one-line prompt (tag, snooze duration)."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static, TextArea


class NoteScreen(ModalScreen[str | None]):
    """Write an internal note (never sent); ctrl+s saves, escape cancels. Dismisses with the text."""

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical {
        width: 70; height: auto; max-height: 20; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    NoteScreen TextArea { height: 8; }
    NoteScreen .hint { color: $text-muted; }
    """
    AUTO_FOCUS = "#note-text"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save note", id="note.save"),
        Binding("escape", "cancel", "Cancel", id="note.cancel"),
    ]

    def __init__(self, title: str = "Internal note (never sent)") -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield TextArea(id="note-text")
            yield Static("ctrl+s save · escape cancel", classes="hint")

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line; `validate` returns an error message (shown inline) or None when fine."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 60; height: auto; padding: 1 2; border: thick $accent; background: $surface;
    }
    PromptScreen .error { color: $error; height: auto; }
    """
    AUTO_FOCUS = "#prompt-input"  # not queried in on_mount: quitting as it opens leaves no Input there
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self, title: str, placeholder: str = "", validate: Callable[[str], str | None] | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Static("", classes="error", id="prompt-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        error = self.validate(value) if self.validate else None
        if error:
            self.query_one("#prompt-error", Static).update(Text(error))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
