"""A minimal `/` search over the cache (free text through FTS5)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from socialdesk.store.queries import INBOUND, PostFilter


def fts_phrase(text: str) -> str:
    """Each word as a quoted FTS5 string, so user input can never be read as FTS syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


class SimpleSearchScreen(ModalScreen[tuple[PostFilter, str] | None]):
    """Type words, enter searches, escape cancels."""

    DEFAULT_CSS = """
    SimpleSearchScreen { align: center top; }
    SimpleSearchScreen > Input { width: 80%; margin-top: 3; }
    SimpleSearchScreen > Label { width: 80%; color: $foreground 60%; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="search.cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search posts (enter: search, escape: cancel, empty: show all)")
        yield Label("Words match anywhere in the text, handle or name.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.dismiss((PostFilter(fts=fts_phrase(query)), f"Search: {query}") if query else (INBOUND, "All"))

    def action_cancel(self) -> None:
        self.dismiss(None)
