"""One line over the thread on a team desk: who holds the conversation, who views it, who is typing."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.sanitize import clean


class TeamBar(Static):
    """Shows `line` (set by the screen); `held` colours it as a warning: someone else holds it."""

    DEFAULT_CSS = """
    TeamBar {
        height: 1; padding: 0 1; background: $panel; color: $foreground; display: none;
        &.-shown { display: block; }
        &.-held { background: $warning 40%; text-style: bold; }
    }
    """

    line: reactive[str] = reactive("")
    held: reactive[bool] = reactive(False)

    def watch_line(self, line: str) -> None:
        self.set_class(bool(line), "-shown")
        self.update(Text(clean(line, single_line=True)))  # agents name themselves: plain text

    def watch_held(self, held: bool) -> None:
        self.set_class(held, "-held")
