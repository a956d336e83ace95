"""The help screen: every key binding of the desk, with its id (for remapping in config) and keys."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_rows(*nodes: object) -> list[tuple[str, str, str]]:
    """(id, keys, description) for every binding of the given nodes, keys after any remapping."""
    seen: dict[str, tuple[list[str], str]] = {}
    for node in nodes:
        bindings_map = getattr(node, "_bindings", None)
        if bindings_map is None:
            continue
        for key, binding in bindings_map:
            ident = binding.id or binding.action
            keys, _ = seen.setdefault(ident, ([], binding.description or binding.action))
            display = node.app.get_key_display(binding) if hasattr(node, "app") else key
            shown = key if len(key) == 1 else display
            if shown not in keys:
                keys.append(shown)
    return sorted(
        ((ident, ", ".join(keys), desc) for ident, (keys, desc) in seen.items()), key=lambda r: r[0]
    )


class HelpScreen(ModalScreen[None]):
    """Lists every binding; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 90; max-width: 95%; height: 85%;
            background: $surface; border: thick $primary; padding: 0 1;
        }
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, host: Screen[Any]) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        table = Table(title="socialdesk keys", expand=True, show_edge=False)
        table.add_column(Text("Keys"), style="bold", no_wrap=True)
        table.add_column(Text("Action"))
        table.add_column(Text("Id (remap in [keys] of config.toml)"), style="dim")
        for ident, keys, description in binding_rows(self.host, self.app):
            table.add_row(Text(keys), Text(description), Text(ident))
        with VerticalScroll():
            yield Static(table)
            yield Static(
                Text(
                    "ctrl+p opens the command palette (themes, queues, outbox, sync now ...). "
                    "Escape closes this screen.",
                    "dim",
                )
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
