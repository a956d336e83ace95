"""The review before a reply, DM or thread leaves: exact final text, destination, account, counts."""

from __future__ import annotations

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from socialdesk.capabilities import facts
from socialdesk.sanitize import clean


class ReviewData(msgspec.Struct, frozen=True):
    """What the agent is about to send.

    Attributes:
        parts: the exact final text of each post (one, a DM and its public reply, or a thread's parts).
        destination: "public reply", "direct message", "public reply, as a thread of 3 posts" ...
        account: our account that sends it.
        network: the network (the review shows the name its connector declares).
        target: who/what it answers ("@maria · post 42").
        counts: "count/limit" of each part.
        over: some part is over the limit (confirming is refused).
        note: an extra line (held for approval, a public note that follows a DM ...).
        hold: why the reply is held (personal data in a public reply): `y` is refused, `S` sends anyway.
    """

    parts: tuple[str, ...]
    destination: str
    account: str
    network: str
    target: str
    counts: tuple[str, ...]
    over: bool = False
    note: str = ""
    hold: str = ""


class ReviewScreen(ModalScreen[bool]):
    """Read before Enter: `y`/enter sends, `e`/escape goes back to edit. Dismisses with True to send.

    The one confirm-and-send modal: a reply, a DM with its public note, a thread split from a long
    reply and each reply of a bulk reply are all reviewed here.
    """

    DEFAULT_CSS = """
    ReviewScreen {
        align: center middle;
        & > #review { width: 80%; max-width: 100; height: auto; max-height: 90%;
                      border: thick $primary; background: $surface; padding: 1 2; }
        & #review-where { text-style: bold; }
        & #review-note { color: $warning; }
        & #review-hold { color: $error; text-style: bold; }
        & .review-count { color: $text-muted; text-align: right; }
        & .review-count.-over { color: $error; text-style: bold; }
        & .review-part { border-left: outer $accent; padding: 0 1; margin-bottom: 1; }
        & #review-keys { color: $text-muted; margin-top: 1; }
    }
    """

    BINDINGS = [
        Binding("y,enter", "confirm", "Send", id="review.confirm"),
        Binding("e,escape", "back", "Edit", id="review.back"),
        Binding("S", "send_anyway", "Send anyway", show=False, id="review.send_anyway"),
    ]

    def __init__(self, data: ReviewData) -> None:
        super().__init__()
        self.data = data

    def compose(self) -> ComposeResult:
        data = self.data
        with Vertical(id="review"):
            network = facts(data.network).display_name
            where = f"{data.destination} · {network} · account {data.account or '-'} · {data.target}"
            yield Static(Text(clean(where, single_line=True)), id="review-where")
            if data.note:
                yield Static(Text(data.note), id="review-note")
            if data.hold:
                yield Static(Text(f"HELD: {clean(data.hold)}"), id="review-hold")
            with VerticalScroll(id="review-parts"):
                for index, (part, count) in enumerate(zip(data.parts, data.counts, strict=True), 1):
                    label = f"{index}/{len(data.parts)} · {count}" if len(data.parts) > 1 else count
                    counter = Static(Text(label), classes="review-count")
                    counter.set_class(data.over, "-over")
                    yield counter
                    # The exact text that will be posted, shown as plain text (never markup).
                    yield Static(Text(clean(part)), classes="review-part")
            keys = (
                "e/esc: back to edit"
                if data.over
                else "S: send it anyway   e/esc: back to edit"
                if data.hold
                else "y/enter: send   e/esc: back to edit"
            )
            yield Static(Text(keys), id="review-keys")

    def action_confirm(self) -> None:
        if self.data.over:
            self.notify("Over the limit: edit or split it first", severity="error")
            return
        if self.data.hold:
            self.notify("Held: edit the reply (e), or press S to send it as it is", severity="warning")
            return
        self.dismiss(True)

    def action_send_anyway(self) -> None:
        """Send a held reply after all (the agent has read why it was held)."""
        if self.data.hold and not self.data.over:
            self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
