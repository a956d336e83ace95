"""Preview of a long reply split into a numbered thread, each part with its count."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from socialdesk import compose
from socialdesk.sanitize import clean


class SplitPreviewScreen(ModalScreen[bool]):
    """Shows the parts of a thread; `y`/enter sends them all, `e`/escape goes back (dismiss True/False)."""

    DEFAULT_CSS = """
    SplitPreviewScreen {
        align: center middle;
        & > #split { width: 80%; max-width: 100; height: auto; max-height: 90%;
                     border: thick $accent; background: $surface; padding: 1 2; }
        & .split-count { color: $text-muted; }
        & .split-part { border-left: outer $accent; padding: 0 1; margin-bottom: 1; }
    }
    """

    BINDINGS = [
        Binding("y,enter", "confirm", "Send thread", id="split.confirm"),
        Binding("e,escape", "back", "Edit", id="split.back"),
    ]

    def __init__(
        self,
        parts: list[str],
        network: str,
        title: str = "",
        rules: tuple[int | None, int | None] = (None, None),
        content_warning: str = "",
    ) -> None:
        super().__init__()
        self.parts = parts
        self.network = network
        self.rules = rules  # the account's server limit and link weight
        self.content_warning = content_warning  # every part carries it (Mastodon counts it)
        self.title_text = title or f"Send as a thread of {len(parts)} posts"

    def compose(self) -> ComposeResult:
        with Vertical(id="split"):
            yield Static(Text(clean(self.title_text, single_line=True), style="bold"))
            with VerticalScroll():
                for index, part in enumerate(self.parts, 1):
                    result = compose.check(part, self.network, *self.rules, self.content_warning)
                    label = f"part {index}/{len(self.parts)} · {result.count}/{result.limit}"
                    yield Static(Text(label), classes="split-count")
                    yield Static(Text(clean(part)), classes="split-part")
            yield Static(Text("y/enter: send the thread   e/esc: back to edit"))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
