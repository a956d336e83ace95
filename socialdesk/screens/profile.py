"""The customer's profile: the fields agents keep on them (e-mail, order, CRM id), edited in a modal."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from socialdesk.sanitize import clean


class ProfileScreen(ModalScreen[dict[str, str] | None]):
    """Edit a customer's fields; ctrl+s (or enter in the last field) saves, escape cancels.

    Dismisses with the fields as typed (the caller checks and saves them), or None.
    """

    DEFAULT_CSS = """
    ProfileScreen { align: center middle; }
    ProfileScreen > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2; border: thick $accent; background: $surface;
        & Input { margin-bottom: 1; }
        & #profile-error { color: $error; height: auto; }
        & #profile-keys { color: $text-muted; }
    }
    """
    AUTO_FOCUS = "Input"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="profile.save"),
        Binding("escape", "cancel", "Cancel", id="profile.cancel"),
    ]

    def __init__(
        self,
        customer: str,
        labels: dict[str, str],
        values: dict[str, str],
        check: Callable[[dict[str, str]], str | None],
    ) -> None:
        super().__init__()
        self.customer = customer
        self.labels = labels
        self.values = values
        self.check = check  # returns an error to show inline, or None when the values can be saved

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Customer profile · {clean(self.customer, single_line=True)}", "bold"))
            for name, label in self.labels.items():
                yield Label(label)
                yield Input(value=self.values.get(name, ""), id=f"profile-{name}", compact=True)
            yield Static("", id="profile-error")
            yield Static("ctrl+s save · tab next field · escape cancel", id="profile-keys")

    def typed(self) -> dict[str, str]:
        """The fields as they are in the form."""
        return {name: self.query_one(f"#profile-{name}", Input).value for name in self.labels}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next(Input)

    def action_save(self) -> None:
        values = self.typed()
        error = self.check(values)
        if error:
            self.query_one("#profile-error", Static).update(Text(error))
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
