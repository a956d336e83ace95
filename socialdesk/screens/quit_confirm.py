"""Asked before quitting while replies are still in the outbox: which ones, and when they would leave."""

from __future__ import annotations

import time

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
    """`y` quits anyway (the replies leave at the next start), `n`/escape stays. Dismisses True to quit."""

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

    def __init__(self, pending: list[PendingReply], more: int = 0, now: float | None = None) -> None:
        super().__init__()
        self.pending = pending
        self.more = more
        self.now = time.time() if now is None else now

    def compose(self) -> ComposeResult:
        count = len(self.pending) + self.more
        with Vertical():
            yield Static(
                Text(f"{count} {'reply has' if count == 1 else 'replies have'} not left yet"), id="quit-title"
            )
            for reply in self.pending[:SHOWN]:
                yield Static(self._line(reply), classes="quit-reply")
            if count > SHOWN:
                yield Static(Text(f"… and {count - SHOWN} more (o: the outbox)"), classes="quit-reply")
            yield Static(
                Text(
                    "They are kept, and sent the next time socialdesk runs online (not now).\n"
                    "y quit anyway · n or escape stay until they leave"
                ),
                id="quit-keys",
            )

    def _line(self, reply: PendingReply) -> Text:
        if reply.due is None:
            when = "waiting to retry"
        elif reply.due > self.now:
            when = f"undo window: sends in {int(reply.due - self.now) + 1} s"
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
