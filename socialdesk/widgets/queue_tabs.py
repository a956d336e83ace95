"""A one-line strip of saved queues with live counts; clicking or choosing one posts QueueChosen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import msgspec
from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from socialdesk.sanitize import clean


class QueueTab(msgspec.Struct, frozen=True):
    """One saved queue as the strip shows it."""

    name: str
    key: int
    count: int | None = None  # None: not counted yet


class Named(Protocol):
    """A saved queue as far as the strip is concerned."""

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> int: ...


class QueueTabs(Widget):
    """Saved queues ("1 Needs reply 12 · 2 Negative 3 ...") with the active one highlighted.

    Attributes down: set `tabs` (and counts as they arrive) and `active`. Messages up: QueueChosen.
    """

    DEFAULT_CSS = """
    QueueTabs {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
    }
    """

    tabs: reactive[tuple[QueueTab, ...]] = reactive((), layout=False)
    active: reactive[str] = reactive("")

    class QueueChosen(Message):
        """The agent picked a saved queue."""

        def __init__(self, name: str, key: int) -> None:
            super().__init__()
            self.name = name
            self.key = key

    def __init__(
        self,
        tabs: tuple[QueueTab, ...] = (),
        active: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(QueueTabs.tabs, tuple(tabs))
        self.set_reactive(QueueTabs.active, active)
        self._spans: list[tuple[int, int, QueueTab]] = []

    def show(self, queues: Iterable[Named], counts: dict[str, int]) -> None:
        """Show these queues (anything with a name and a number key) with their live counts."""
        self.tabs = tuple(QueueTab(q.name, q.key, counts.get(q.name)) for q in queues)

    def choose(self, key: int) -> None:
        """Make the queue with number key `key` active and announce it."""
        for tab in self.tabs:
            if tab.key == key:
                self.active = tab.name
                self.post_message(self.QueueChosen(tab.name, tab.key))
                return

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for tab in self.tabs:
            start = len(text)
            label = f" {tab.key} {clean(tab.name, single_line=True)}"
            style = "reverse bold" if tab.name == self.active else ""
            text.append(label, style=style)
            if tab.count is not None:
                text.append(f" {tab.count}", style=("reverse " if tab.name == self.active else "") + "bold")
            text.append(" ", style=style)
            self._spans.append((start, len(text), tab))
            text.append(" ")
        return text

    def on_click(self, event: events.Click) -> None:
        offset = event.x + self.scroll_offset.x
        for start, end, tab in self._spans:
            if start <= offset < end:
                self.choose(tab.key)
                return
