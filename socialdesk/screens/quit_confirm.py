"""Asked before quitting while replies are still in the outbox: which ones, and when they would leave."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from socialdesk.sanitize import clean

SHOWN = 5  # replies listed; the rest are counted


class PendingReply(msgspec.Struct, frozen=True):
    """A reply that has not left: to whom, what, and when it is due (None: waiting for a retry)."""

    to: str
    text: str
    due: float | None


class QuitScreen(ModalScreen[bool]):
    """`y` quits anyway (the replies leave at the next start), `n`/escape stays. Dismisses True to quit.

    While it is open, each undo window counts down, and the desk hands it the outbox again whenever a
    reply changes state (`show`); once none is left to send, the desk quits, as the agent asked.
    """

    DEFAULT_CSS = """
    QuitScreen {
        align: center middle;
        & > Vertical { width: 80%; max-width: 90; height: auto; padding: 1 2;
                       border: thick $warning; background: $surface; }
        & #quit-title { text-style: bold; }
        & .quit-reply { color: $text-muted; }
        & #quit-keys { color: $text-muted; margin-top: 1; }
    }
    """

    BINDINGS = [
        Binding("y", "quit", "Quit anyway", id="quit.confirm"),
        Binding("n,escape", "stay", "Stay", id="quit.cancel"),
    ]

    def __init__(
        self, pending: list[PendingReply], more: int = 0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.pending = pending
        self.more = more
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="quit-title")
            yield Static(id="quit-replies", classes="quit-reply")
            yield Static(
                Text(
                    "They are kept, and sent the next time socialdesk runs online (not now).\n"
                    "The desk quits by itself once they have left.\n"
                    "y quit anyway · n or escape stay"
                ),
                id="quit-keys",
            )

    def on_mount(self) -> None:
        self._draw()
        self.set_interval(1.0, self._draw)  # the undo windows' countdowns

    def show(self, pending: list[PendingReply], more: int) -> None:
        """The replies that have still not left, as the outbox was just read."""
        self.pending = pending
        self.more = more
        self._draw()

    def _draw(self) -> None:
        count = len(self.pending) + self.more
        title = f"{count} {'reply has' if count == 1 else 'replies have'} not left yet"
        self.query_one("#quit-title", Static).update(Text(title))
        now = self.clock()
        lines = [self._line(reply, now) for reply in self.pending[:SHOWN]]
        if count > SHOWN:
            lines.append(Text(f"… and {count - SHOWN} more (o: the outbox)"))
        self.query_one("#quit-replies", Static).update(Text("\n").join(lines))

    @staticmethod
    def _line(reply: PendingReply, now: float) -> Text:
        if reply.due is None:
            when = "waiting to retry"
        elif reply.due > now:
            when = f"undo window: sends in {math.ceil(reply.due - now)} s"
        else:
            when = "due now"
        line = Text(f"→ {clean(reply.to, single_line=True)} · {when}\n  ")
        body = clean(reply.text, single_line=True)
        line.append(body if len(body) <= 70 else body[:69] + "…")
        return line

    def action_quit(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)
