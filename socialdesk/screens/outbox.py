"""The outbox view: our replies and their states, a page at a time, with retry and discard."""

from __future__ import annotations

import time
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from socialdesk.sanitize import clean
from socialdesk.services.outbox import Outbox
from socialdesk.store.replies import ReplyRow

PAGE = 50
COLUMNS = ("id", "state", "account", "kind", "post", "text", "error", "updated")
STATE_STYLES = {
    "sent": "green",
    "failed": "bold red",
    "needs_auth": "bold red",
    "unknown": "bold yellow",
    "waiting": "yellow",
    "queued": "cyan",
    "sending": "cyan",
    "awaiting_approval": "magenta",
    "discarded": "dim",
}


class OutboxPageLoaded(Message):
    """A page of the outbox was read (`before` is the keyset it was read after)."""

    def __init__(self, rows: list[ReplyRow], more: bool, before: int | None) -> None:
        super().__init__()
        self.rows = rows
        self.more = more
        self.before = before


class OutboxActionDone(Message):
    """A retry, discard or restore finished (message to show; `post_id`: a draft to open)."""

    def __init__(self, text: str, error: bool = False, post_id: int | None = None) -> None:
        super().__init__()
        self.text = text
        self.error = error
        self.post_id = post_id


def _state(reply: ReplyRow, now: float) -> str:
    """The state, and for a queued reply when it leaves ("scheduled → 09:00", a date when not today)."""
    if reply.state != "queued" or reply.send_after is None:
        return reply.state
    when = datetime.fromtimestamp(reply.send_after)
    today = datetime.fromtimestamp(now).date()
    label = "scheduled" if reply.scheduled else "queued"
    return f"{label} → {when:%H:%M}" if when.date() == today else f"{label} → {when:%m-%d %H:%M}"


def _cells(reply: ReplyRow, now: float) -> list[Text]:
    """One reply's row: its cells as plain text, never markup."""
    kind = ("DM" if reply.dm else "reply") + (f" {reply.part}/{reply.parts}" if reply.parts > 1 else "")
    return [
        Text(str(reply.id)),
        Text(_state(reply, now), style=STATE_STYLES.get(reply.state, "")),
        Text(f"{reply.network}/{reply.account or '-'}"),
        Text(kind),
        Text(str(reply.post_id or "")),
        Text(clean(reply.text, single_line=True)[:60]),
        Text(clean(reply.error, single_line=True)[:50]),
        Text(datetime.fromtimestamp(reply.updated_at).strftime("%H:%M:%S")),
    ]


class OutboxScreen(ModalScreen[int | None]):
    """Lists replies newest first, PAGE rows at a time; `r` retry, `x` discard, `n`/`p` pages, esc closes.

    `e` puts a discarded reply back as its post's draft and dismisses with that post's id.
    """

    DEFAULT_CSS = """
    OutboxScreen {
        align: center middle;
        & > DataTable { width: 95%; height: 80%; border: thick $primary; background: $surface; }
        & > #outbox-footer { width: 95%; height: 1; color: $text-muted; }
    }
    """

    BINDINGS = [
        Binding("r", "retry", "Retry", id="outbox.retry"),
        Binding("x", "discard", "Discard", id="outbox.discard"),
        Binding("e", "restore", "Edit again", id="outbox.restore"),
        Binding("n", "page(1)", "Older", id="outbox.older"),
        Binding("p", "page(-1)", "Newer", id="outbox.newer"),
        Binding("escape,o", "close", "Close", id="outbox.close"),
    ]

    def __init__(self, outbox: Outbox, agent: str) -> None:
        super().__init__()
        self.outbox = outbox
        self.agent = agent
        self.rows: list[ReplyRow] = []
        self.more = False
        self.before: int | None = None
        self.history: list[int | None] = []  # keysets of the pages before this one

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Static(id="outbox-footer")

    def on_mount(self) -> None:
        self.load(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox", description="read the outbox")
    def load(self, before: int | None) -> None:
        """Read one page (keyset: ids below `before`)."""
        rows, more = self.outbox.page(before_id=before, limit=PAGE)
        self.post_message(OutboxPageLoaded(rows, more, before))

    def on_outbox_page_loaded(self, message: OutboxPageLoaded) -> None:
        self.rows, self.more, self.before = message.rows, message.more, message.before
        table = self.query_one(DataTable)
        row = table.cursor_row
        now = getattr(self.app, "clock", time.time)()
        cells = [_cells(reply, now) for reply in self.rows]
        # Each column gets the width of its widest cell here: a DataTable measures auto-width columns
        # only when idle, and a frame drawn before that kept the header's widths in its cell cache.
        table.clear(columns=True)
        for index, label in enumerate(COLUMNS):
            width = max([len(label), *(line[index].cell_len for line in cells)])
            table.add_column(label, width=width, key=label)
        for reply, line in zip(self.rows, cells, strict=True):
            table.add_row(*line, key=str(reply.id))
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))
        page = len(self.history) + 1
        footer = f"page {page}{' · n: older' if self.more else ''}{' · p: newer' if self.history else ''}"
        keys = " · r retry · x discard · e edit a discarded reply again · esc close"
        self.query_one("#outbox-footer", Static).update(Text(footer + keys))

    def _selected(self) -> ReplyRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_page(self, delta: int) -> None:
        if delta > 0 and self.more and self.rows:
            self.history.append(self.before)
            self.load(self.rows[-1].id)
        elif delta < 0 and self.history:
            self.load(self.history.pop())

    def action_retry(self) -> None:
        if (row := self._selected()) is not None:
            self.act("retry", row.id)

    def action_discard(self) -> None:
        if (row := self._selected()) is not None:
            self.act("discard", row.id)

    def action_restore(self) -> None:
        if (row := self._selected()) is not None:
            self.act("restore", row.id)

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="outbox-action", description="outbox action"
    )
    def act(self, action: str, reply_id: int) -> None:
        """Retry, discard or restore one reply, then reload the page."""
        from socialdesk.errors import UserError

        try:
            if action == "retry":
                self.outbox.retry(reply_id, self.agent)
            elif action == "restore":
                post_id, _ = self.outbox.restore(reply_id, self.agent)
                self.post_message(OutboxActionDone("Reply back in the composer as a draft", post_id=post_id))
                return
            else:
                self.outbox.discard(reply_id, self.agent)
        except UserError as exc:
            self.post_message(OutboxActionDone(str(exc), error=True))
            return
        self.post_message(OutboxActionDone(f"reply {reply_id}: {action} done"))

    @on(OutboxActionDone)
    def _done(self, message: OutboxActionDone) -> None:
        self.notify(message.text, severity="error" if message.error else "information", markup=False)
        if message.post_id is not None:
            self.dismiss(message.post_id)  # the desk opens the post, its draft in the composer
            return
        self.load(self.before)

    def action_close(self) -> None:
        self.dismiss(None)
