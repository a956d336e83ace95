"""The supervisor's figures as lines: queue sizes, each agent's claimed conversations, SLA breaches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.sanitize import clean

if TYPE_CHECKING:
    from socialdesk.team.supervisor import SupervisorView


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


class SupervisorPanel(Static):
    """Shows `view` (set by the screen); agents' names are plain text."""

    view: reactive[SupervisorView | None] = reactive(None)

    def render(self) -> Text:
        view = self.view
        if view is None:
            return Text("Reading the team's figures…", style="dim")
        out = Text()
        out.append("Queue  ", "bold")
        out.append("  ".join(f"{status} {count}" for status, count in view.queue.items()))
        out.append(f"  ·  claimable now {view.claimable}  ·  awaiting approval {view.awaiting_approval}\n\n")
        out.append("Agents\n", "bold")
        for load in view.agents:
            role = load.role or "not a member"
            claimed = ", ".join(f"#{c}" for c in load.claimed) or "nothing claimed"
            out.append(f"  {clean(load.agent, single_line=True):<16} {role:<11} {len(load.claimed):>3}  ")
            out.append(claimed + "\n", "" if load.claimed else "dim")
        out.append(f"\nSLA breaches {view.breach_count}\n", "bold red" if view.breach_count else "bold")
        for breach in view.breaches:
            who = clean(breach.assigned_to, single_line=True) or "unassigned"
            out.append(f"  #{breach.conversation_id:<6} {breach.status:<10} {who:<16} ")
            out.append(f"{_minutes(breach.overdue)} over\n", "red")
        if view.breach_count > len(view.breaches):
            out.append(f"  and {view.breach_count - len(view.breaches)} more\n", "dim")
        return out
