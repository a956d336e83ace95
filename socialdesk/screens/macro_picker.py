"""Pick a canned reply by fuzzy search, answer its prompts, and return the filled text."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from socialdesk.sanitize import clean
from socialdesk.services.macros import Macro, Macros, fill, fill_prompts


class MacroPickerScreen(ModalScreen[str | None]):
    """Type to filter macros (fuzzy), enter to choose, then one input per prompt; escape cancels.

    Dismisses with the filled text, or None when cancelled.
    """

    DEFAULT_CSS = """
    MacroPickerScreen {
        align: center top;
        & > #picker { width: 80%; max-width: 100; height: auto; max-height: 80%; margin-top: 2;
                      border: thick $primary; background: $surface; padding: 0 1; }
        & OptionList { height: auto; max-height: 16; border: none; }
        & #picker-preview { color: $text-muted; padding: 0 1; }
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="macro.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="macro.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="macro.previous"),
    ]

    def __init__(
        self,
        macros: Macros,
        values: dict[str, str],
        suggested: str = "",
        keep_variables: bool = False,
        title: str = "",
    ) -> None:
        """`keep_variables`: dismiss with the template, prompts answered, for `fill` per post later;
        `title`: which set the picker offers (a team desk names the team's version)."""
        super().__init__()
        self.title_line = title
        self.macros = macros
        self.values = values
        self.suggested = suggested  # a rule's `suggest` for this post: offered first
        self.keep_variables = keep_variables
        self.shown: list[Macro] = []
        self.chosen: Macro | None = None
        self.answers: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as picker:
            picker.border_title = Text(clean(self.title_line, single_line=True)) if self.title_line else None
            yield Input(placeholder="Search canned replies…", id="picker-search")
            yield OptionList(id="picker-list")
            yield Static(id="picker-preview")

    def on_mount(self) -> None:
        self._show("")

    def _show(self, query: str) -> None:
        self.shown = self.macros.search(query, first=self.suggested)
        options = self.query_one(OptionList)
        options.clear_options()
        for macro in self.shown:
            label = Text(macro.name, style="bold")
            if macro.key:
                label.append(f" [{macro.key}]", style="dim")
            if self.suggested and macro.name.lower() == self.suggested.lower():
                label.append(" suggested", style="bold")
            label.append(f"  {clean(macro.description or macro.text, single_line=True)}", style="dim")
            options.add_option(Option(label))
        if self.shown:
            options.highlighted = 0
        self._preview()

    def _preview(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        text = ""
        if self.chosen is None and index is not None and index < len(self.shown):
            text = fill(self.shown[index].text, self.values)
        self.query_one("#picker-preview", Static).update(Text(clean(text)))

    @on(Input.Changed, "#picker-search")
    def _search(self, event: Input.Changed) -> None:
        if self.chosen is None:
            self._show(event.value)
            return
        # Answering a prompt: the preview follows what is typed, before enter.
        missing = [p for p in self.chosen.prompts if p not in self.answers]
        typed = {**self.answers, missing[0]: event.value} if missing else self.answers
        self.query_one("#picker-preview", Static).update(
            Text(clean(fill(self.chosen.text, self.values, typed)))
        )

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._preview()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(self.shown[event.option_index])

    @on(Input.Submitted, "#picker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.chosen is not None:
            self._answer(event.value)
            return
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self.shown):
            self._choose(self.shown[index])

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if self.shown:
            options.highlighted = ((options.highlighted or 0) + delta) % len(self.shown)

    def _choose(self, macro: Macro) -> None:
        self.chosen = macro
        self._next_prompt()

    def _next_prompt(self) -> None:
        assert self.chosen is not None
        missing = [p for p in self.chosen.prompts if p not in self.answers]
        if not missing:
            if self.keep_variables:
                self.dismiss(fill_prompts(self.chosen.text, self.answers))
            else:
                self.dismiss(fill(self.chosen.text, self.values, self.answers))
            return
        search = self.query_one("#picker-search", Input)
        search.value = ""
        search.placeholder = f"{missing[0]} (for {self.chosen.name}; enter to continue)"
        self.query_one(OptionList).display = False
        self.query_one("#picker-preview", Static).update(
            Text(clean(fill(self.chosen.text, self.values, self.answers)))
        )
        search.focus()

    def _answer(self, value: str) -> None:
        assert self.chosen is not None
        missing = [p for p in self.chosen.prompts if p not in self.answers]
        self.answers[missing[0]] = value
        self._next_prompt()

    def action_cancel(self) -> None:
        self.dismiss(None)
