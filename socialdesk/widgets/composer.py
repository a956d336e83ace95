"""The reply composer: a multi-line editor with a live per-network counter under it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static, TextArea

from socialdesk import compose as counting
from socialdesk.widgets.badges import NETWORK_NAMES

WARN_AT = 0.9  # of the limit


class ReplyEditor(TextArea):
    """The text area of the composer (escape leaves it for the feed)."""

    BINDINGS = [("escape", "leave", "Back to feed")]

    def action_leave(self) -> None:
        self.screen.focus_next("FeedList")


class Composer(Vertical):
    """Multi-line reply editor with a counter such as `37/280` that warns near and over the limit."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
        max-height: 50%;
        border-top: solid $panel;
        & > #composer-target { color: $foreground 70%; padding: 0 1; }
        & > ReplyEditor { height: 6; border: none; padding: 0 1; }
        & > ReplyEditor:focus { border: none; background: $boost; }
        & > #composer-counter { padding: 0 1; text-align: right; }
        & > #composer-counter.-warning { color: $warning; }
        & > #composer-counter.-error { color: $error; text-style: bold; }
    }
    """

    network: reactive[str] = reactive("x")
    server_limit: reactive[int] = reactive(0)
    target: reactive[str] = reactive("")
    state: reactive[str] = reactive("")  # the outbox state of the last reply to this post
    prefix: reactive[str] = reactive("")  # mentions the network needs, sent before the text

    class Changed(Message):
        """The text changed (the screen saves the draft)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Composer.Changed)

    def compose(self) -> ComposeResult:
        yield Static(id="composer-target")
        yield ReplyEditor(id="composer-editor", soft_wrap=True, show_line_numbers=False)
        yield Static(id="composer-counter")

    @property
    def text(self) -> str:
        """The text being written."""
        return self.query_one(ReplyEditor).text

    def set_text(self, text: str, announce: bool = False) -> None:
        """Replace the text (a loaded draft, an undone reply, an inserted macro)."""
        editor = self.query_one(ReplyEditor)
        with editor.prevent(TextArea.Changed):
            editor.load_text(text)
            editor.move_cursor(editor.document.end)
        self._update_counter()
        if announce:
            self.post_message(self.Changed(text))

    def measure(self) -> counting.CountResult:
        """The final text (mentions, then what was typed) measured against the post's network."""
        text = self.text.strip()
        prefix = self.prefix if not text.lower().startswith(self.prefix.strip().lower()) else ""
        return counting.check(prefix + text, self.network, self.server_limit or None)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._update_counter()
        self.post_message(self.Changed(self.text))

    def watch_network(self) -> None:
        self._update_counter()

    def watch_server_limit(self) -> None:
        self._update_counter()

    def watch_target(self, target: str) -> None:
        self.query_one("#composer-target", Static).update(Text(target))

    def watch_state(self) -> None:
        self._update_counter()

    def watch_prefix(self) -> None:
        self._update_counter()

    def _update_counter(self) -> None:
        if not self.is_mounted:
            return
        result = self.measure()
        counter = self.query_one("#composer-counter", Static)
        label = Text()
        if self.state:
            label.append(f"last reply: {self.state}   ", "italic")
        label.append(f"{NETWORK_NAMES.get(self.network, self.network)} · ")
        label.append(f"{result.count}/{result.limit}", "bold")
        label.append(
            f" · {result.remaining} left" if result.remaining >= 0 else f" · {-result.remaining} over"
        )
        if result.max_bytes and result.bytes > result.max_bytes * WARN_AT:
            label.append(f"  {result.bytes}/{result.max_bytes} bytes")
        counter.update(label)
        counter.set_class(result.over, "-error")
        counter.set_class(not result.over and result.count >= result.limit * WARN_AT, "-warning")
