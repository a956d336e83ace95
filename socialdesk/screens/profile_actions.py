"""Customer profile keys on the desk: i edits the fields kept on the customer, L opens them in the CRM.

Mix `ProfileActions` into the desk screen and add `PROFILE_BINDINGS` to its BINDINGS.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.screens.host import HostScreen

PROFILE_BINDINGS: list[Binding] = [
    Binding("i", "profile_edit", "Customer profile", id="customer.profile", show=False),
    Binding("L", "profile_crm", "Open in CRM", id="customer.crm", show=False),
]


class ProfileRead(Message):
    """The customer's fields were read for the profile form."""

    def __init__(self, customer_id: int, name: str, values: dict[str, str]) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.name = name
        self.values = values


class ProfileSaved(Message):
    """The profile was saved: the fields that changed (none: nothing to save), or why it failed."""

    def __init__(self, changed: dict[str, str], error: str = "") -> None:
        super().__init__()
        self.changed = changed
        self.error = error


class ProfileActions(HostScreen):
    """Actions bound by PROFILE_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    def action_profile_edit(self) -> None:
        """Read the selected post's customer's fields, then open the form."""
        from socialdesk.store import customer_fields

        post = self.selected_post
        if post is None or post.customer_id is None or post.is_ours:
            self.notify("Select a customer's post first", severity="warning")
            return
        store, customer_id, handle = self.ctx.store, post.customer_id, post.author_handle

        def work() -> None:
            self.post_message(
                ProfileRead(customer_id, f"@{handle}", customer_fields.read(store.conn, customer_id))
            )

        self.run_worker(
            work, thread=True, exit_on_error=False, group="profile", description="Reading the profile"
        )

    def on_profile_read(self, message: ProfileRead) -> None:
        from socialdesk.screens.profile import ProfileScreen
        from socialdesk.services import profile

        def check(values: dict[str, str]) -> str | None:
            try:
                profile.check(values)
            except UserError as exc:
                return str(exc)
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self._save_profile(message.customer_id, values)

        self.app.push_screen(ProfileScreen(message.name, profile.LABELS, message.values, check), done)

    def _save_profile(self, customer_id: int, values: dict[str, str]) -> None:
        from socialdesk.services import profile

        store, agent = self.ctx.store, self.ctx.agent.name
        team = getattr(self, "team", None)  # a team desk's (screens/team_actions.py)

        def work() -> None:
            try:
                changed = profile.save(store, agent, customer_id, values, team)
            except UserError as exc:
                self.post_message(ProfileSaved({}, str(exc)))
                return
            self.post_message(ProfileSaved(changed))

        self.run_worker(
            work, thread=True, exit_on_error=False, group="profile", description="Saving the profile"
        )

    def on_profile_saved(self, message: ProfileSaved) -> None:
        if message.error:
            self.notify(message.error, severity="error", markup=False)
        elif message.changed:
            self.notify("Customer profile saved: " + ", ".join(message.changed), markup=False)
            self.refresh_thread()  # the customer pane shows the fields and the CRM link
        else:
            self.notify("Nothing changed")

    def action_profile_crm(self) -> None:
        """Open the customer in the team's CRM (the link the customer pane shows)."""
        url = self.shown_crm_url()
        if not url:
            self.notify(
                "No CRM link: set [customers] crm_link in config.toml and the fields it needs (i)",
                severity="warning",
            )
            return
        self.app.open_url(url)
        self.notify(f"Opened in the browser: {url}", markup=False)
