"""Modal to escalate a conversation: choose a role, write a note; dismisses with (role, note)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from socialdesk.services.sla_policy import DEFAULT_ROLES


class EscalateScreen(ModalScreen[tuple[str, str] | None]):
    """Pick a role (the playbook's `[escalation]`) and a note; Enter in the note escalates, escape cancels."""

    DEFAULT_CSS = """
    EscalateScreen { align: center middle; }
    EscalateScreen > Vertical {
        width: 64; height: auto; padding: 1 2; border: thick $error; background: $surface;
    }
    EscalateScreen .error { color: $error; height: auto; }
    EscalateScreen #escalate-chosen { text-style: bold; }
    EscalateScreen .hint { color: $text-muted; }
    """
    AUTO_FOCUS = "#escalate-note"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="escalate.cancel")]

    def __init__(self, note: str = "", roles: tuple[str, ...] = DEFAULT_ROLES) -> None:
        super().__init__()
        self.note = note  # a note to start from (a spike's summary)
        self.roles = roles  # the playbook's [escalation] roles

    def compose(self) -> ComposeResult:
        with Vertical():
            # The chosen role in words: the radio buttons differ only by colour in a plain terminal.
            yield Label(self._chosen(self.roles[0] if self.roles else ""), id="escalate-chosen")
            with RadioSet(id="escalate-role"):
                for index, role in enumerate(self.roles):
                    yield RadioButton(role.capitalize(), value=index == 0, name=role)
            yield Input(self.note, placeholder="Why? (note for the team, never sent)", id="escalate-note")
            yield Static("", classes="error", id="escalate-error")
            yield Static(
                "shift+tab: the roles (↑↓ then enter picks) · tab: the note · enter in the note escalates"
                " · escape cancels",
                classes="hint",
            )

    @staticmethod
    def _chosen(role: str) -> str:
        return f"Escalate to: {role.capitalize()}"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.query_one("#escalate-chosen", Label).update(self._chosen(self.role))

    @property
    def role(self) -> str:
        """The chosen role."""
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else self.roles[0]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        note = event.value.strip()
        if not note:
            self.query_one("#escalate-error", Static).update("Write a note saying why.")
            return
        self.dismiss((self.role, note))

    def action_cancel(self) -> None:
        self.dismiss(None)
