"""Pick one value from a short list, the current one shown: correcting sentiment or intent."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option


class ChoiceScreen(ModalScreen[str | None]):
    """`title` over the `values`, the `current` one marked and highlighted; enter or its number picks.

    With `current` None it is a plain menu (nothing is "now").
    """

    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
        & > Vertical { width: 50; height: auto; padding: 1 2; border: thick $accent; background: $surface; }
        & OptionList { height: auto; max-height: 12; }
        & .hint { color: $text-muted; }
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, values: tuple[str, ...] | list[str], current: str | None) -> None:
        super().__init__()
        self.title_text = title
        self.values = tuple(values)
        self.current = current

    def compose(self) -> ComposeResult:
        options = []
        for number, value in enumerate(self.values, 1):
            label = Text(f"{number}  {value}")
            if value == self.current:
                label.append("  (now)", "bold")
            options.append(Option(label, id=value))
        with Vertical():
            now = "" if self.current is None else f" · now: {self.current or 'unknown'}"  # None: a plain menu
            yield Label(Text(f"{self.title_text}{now}"))
            yield OptionList(*options)
            yield Static(Text("enter or 1-9 picks · escape cancels"), classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.values:
            options.highlighted = self.values.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if event.key.isdigit() and 1 <= int(event.key) <= len(self.values):
            event.stop()
            self.dismiss(self.values[int(event.key) - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)
