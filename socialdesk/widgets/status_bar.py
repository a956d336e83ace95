"""The top bar: workspace (DEMO clearly marked), each source's sync state, and the new-post count."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.sanitize import clean


class StatusBar(Static):
    """One line: `socialdesk  DEMO  ◆ demo: ok, back to 19 Nov  ·  Needs reply (42)  ·  3 new`."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    workspace: reactive[str] = reactive("")
    demo: reactive[bool] = reactive(False)
    # (name, state, message, reach): reach says how far back the source has read ("back to 19 Nov")
    sources: reactive[tuple[tuple[str, str, str, str], ...]] = reactive(())
    view_title: reactive[str] = reactive("All")
    new_count: reactive[int] = reactive(0)
    offline: reactive[bool] = reactive(False)
    position: reactive[tuple[int, int, bool]] = reactive((0, 0, True))  # (row, of rows, exact count)
    playbook_refused: reactive[str] = reactive("")  # why the playbook file is not the one in use

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("socialdesk", "bold")
        if self.demo:
            text.append("  DEMO ", "bold reverse")
        elif self.workspace:
            text.append(f"  {clean(self.workspace, single_line=True)}")
        if self.offline:
            text.append("  OFFLINE ", "bold reverse")
        if self.playbook_refused:
            text.append("  PLAYBOOK REFUSED: last good in use ", "bold reverse red")
        for name, state, message, reach in self.sources:
            style = {"ok": "green", "syncing": "cyan", "idle": "dim"}.get(state, "bold red")
            text.append(f"  {clean(name, single_line=True)}: ")
            text.append(clean(message, single_line=True) if message and state != "ok" else state, style)
            if reach:
                text.append(f", {clean(reach, single_line=True)}", "dim")
        text.append(f"  ·  {clean(self.view_title, single_line=True)}", "bold")
        row, total, exact = self.position
        if total:
            text.append(f"  {row:,}/{total:,}{'' if exact else '+'}", "dim")
        if self.new_count:
            text.append(f"  ·  {self.new_count} new ↑ (g)", "bold yellow")
        return text
