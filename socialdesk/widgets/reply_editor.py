"""The composer's text area: Textual's TextArea, imported once the desk's first frame is painted."""

from __future__ import annotations

from textual.widgets import TextArea


class ReplyEditor(TextArea):
    """The text area of the composer (escape leaves it for the feed)."""

    BINDINGS = [("escape", "leave", "Back to feed")]

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        self.move_cursor(self.document.end)  # a draft it starts with is continued, as one loaded later

    def action_leave(self) -> None:
        self.screen.focus_next("FeedList")
