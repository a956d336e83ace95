"""The reply composer: a multi-line editor with a live per-network counter under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from socialdesk import compose as counting
from socialdesk.capabilities import Capabilities, NetworkFacts
from socialdesk.sanitize import clean

if TYPE_CHECKING:
    from textual.widgets import TextArea

    from socialdesk.widgets.reply_editor import ReplyEditor

WARN_AT = 0.9  # of the limit
# No post selected: nothing to count against, and no counter shown.
NO_NETWORK = NetworkFacts("", "", "·", Capabilities())
EDITOR_ID = "composer-editor"


class BlankEditor(Widget):
    """The empty editor's cells without it, until the editor is mounted after the first frame.

    Textual's TextArea takes ~4 ms to import, and its stylesheet and component styles are parsed and
    applied before a frame can show it. Empty and unfocused it draws only its background: the
    composer's CSS gives this its place, size and colours (a test compares the two cell by cell).
    """

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        return Strip([Segment(" " * width, self.rich_style)], width)


class Composer(Vertical):
    """Multi-line reply editor with a counter such as `37/280` that warns near and over the limit."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
        max-height: 50%;
        border-top: solid $panel;
        & > #composer-target {
            color: $foreground 70%; padding: 0 1; height: 1; text-wrap: nowrap; text-overflow: ellipsis;
        }
        & > ReplyEditor { height: 6; border: none; padding: 0 1; }
        & > ReplyEditor:focus { border: none; background: $boost; }
        & > BlankEditor { height: 6; padding: 0 1; color: $foreground; background: $surface; }
        & > #composer-counter {
            padding: 0 1; text-align: right; height: 1; text-wrap: nowrap; text-overflow: ellipsis;
        }
        & > #composer-counter.-warning { color: $warning; }
        & > #composer-counter.-error { color: $error; text-style: bold; }
    }
    """

    # The container draws none of these (its target and counter lines do): setting them repaints
    # only those lines, not the composer's whole box, on every selection in the feed.
    # The replied-to post's network as its connector declares it (counting rule, limit, display name).
    network: reactive[NetworkFacts] = reactive(NO_NETWORK, repaint=False)
    # The replying account's server: its limit and what a link counts there (0: the network's).
    server_limit: reactive[int] = reactive(0, repaint=False)
    url_weight: reactive[int] = reactive(0, repaint=False)
    content_warning: reactive[str] = reactive("", repaint=False)  # the reply carries it; Mastodon counts it
    target: reactive[str] = reactive("", repaint=False)
    state: reactive[str] = reactive("", repaint=False)  # the outbox state of the last reply to this post
    prefix: reactive[str] = reactive("", repaint=False)  # mentions the network needs, sent before the text

    class Changed(Message):
        """The text changed (the screen saves the draft)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Composer.Changed)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._counter_due = False
        self._editor: ReplyEditor | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="composer-target")
        yield BlankEditor()  # the editor replaces it after the first frame (`add_editor`)
        yield Static(id="composer-counter")

    @property
    def editor(self) -> ReplyEditor:
        """The text area (mounted now if it was not yet)."""
        return self._editor or self.add_editor()

    def add_editor(self, text: str = "") -> ReplyEditor:
        """Mount the text area, holding `text`, in the blank one's place (once; when the composer is)."""
        if self._editor is None:
            from socialdesk.widgets.reply_editor import ReplyEditor

            self._editor = ReplyEditor(text, id=EDITOR_ID)
            if self.is_mounted and self.is_attached:  # (not while the app closes)
                self._place_editor()
        return self._editor

    def on_mount(self) -> None:
        if self._editor is not None:
            self._place_editor()

    def _place_editor(self) -> None:
        assert self._editor is not None
        self.mount(self._editor, before=self.query_one("#composer-counter"))
        self.query(BlankEditor).remove()

    @property
    def text(self) -> str:
        """The text being written."""
        return self._editor.text if self._editor is not None else ""

    def set_text(self, text: str, announce: bool = False) -> None:
        """Replace the text (a loaded draft, an undone reply, an inserted macro)."""
        editor = self._editor
        if editor is None:  # a draft shown in the first frame comes with the editor
            if text:
                self.add_editor(text)
        elif text == editor.text and editor.cursor_location == editor.document.end:
            # Most posts have no draft: an empty editor stays as it is, not redrawn on every selection
            # (but what was undone for the last post must not come back in this one).
            editor.history.clear()
        else:
            with editor.prevent(editor.Changed):
                editor.load_text(text)
                editor.move_cursor(editor.document.end)
        self._refresh_counter()
        if announce:
            self.post_message(self.Changed(text))

    def measure(self) -> counting.CountResult:
        """The final text (mentions, then what was typed) measured against the post's network."""
        return counting.check(
            counting.with_prefix(self.prefix, self.text),
            self.network.capabilities,
            self.server_limit or None,
            self.url_weight or None,
            self.content_warning,
        )

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._update_counter()
        self.post_message(self.Changed(self.text))

    def _counter_label(self, result: counting.CountResult, detail: int) -> Text:
        """The counter's text: 0 is the bare count; 1 adds what is left, 2 the network, 3 the last state."""
        label = Text(no_wrap=True, overflow="ellipsis")
        if self.state and detail >= 3:
            label.append(f"last reply: {self.state}   ", "italic")
        if detail >= 2:
            label.append(f"{self.network.display_name} · ")
        label.append(f"{result.count}/{result.limit}", "bold")
        if detail >= 1:
            label.append(
                f" · {result.remaining} left" if result.remaining >= 0 else f" · {-result.remaining} over"
            )
        if result.max_bytes and result.bytes > result.max_bytes * WARN_AT:
            label.append(f"  {result.bytes}/{result.max_bytes} bytes")
        return label

    def on_resize(self) -> None:
        self._update_counter()  # a narrower pane drops the words around the count, never the count

    def watch_network(self) -> None:
        self._update_counter()

    def watch_server_limit(self) -> None:
        self._update_counter()

    def watch_url_weight(self) -> None:
        self._update_counter()

    def watch_content_warning(self) -> None:
        self._update_counter()

    def watch_target(self, target: str) -> None:
        # One line whatever the text: moving through the feed must not lay the screen out again.
        target_text = Text(clean(target, single_line=True), no_wrap=True, overflow="ellipsis")
        self.query_one("#composer-target", Static).update(target_text, layout=False)

    def watch_state(self) -> None:
        self._update_counter()

    def watch_prefix(self) -> None:
        self._update_counter()

    def _update_counter(self) -> None:
        # Selecting a post sets the network, prefix, text and state one after another: count once.
        if not self._counter_due:
            self._counter_due = True
            self.call_next(self._counter_if_due)

    def _counter_if_due(self) -> None:
        if self._counter_due:
            self._refresh_counter()

    def _refresh_counter(self) -> None:
        self._counter_due = False
        if not self.is_mounted:
            return
        counter = self.query_one("#composer-counter", Static)
        if self.network is NO_NETWORK:
            counter.update("", layout=False)
            counter.remove_class("-error", "-warning")
            return
        result = self.measure()
        room = counter.size.width
        # The count itself always shows: the words around it go first where the pane is narrow.
        for detail in (3, 2, 1, 0):
            label = self._counter_label(result, detail)
            if not room or label.cell_len <= room:
                break
        counter.update(label, layout=False)  # one line high, whatever it says
        counter.set_class(result.over, "-error")
        counter.set_class(not result.over and result.count >= result.limit * WARN_AT, "-warning")
