"""Hand a conversation to a named colleague (@) and take a tag off it (-), each from a keyboard picker.

`HandoverActions` extends the desk's triage keys (`screens/triage_actions.py`): the picker's choices are
read in a worker (the team's members, or the tags the posts carry), then the choice goes through the
same queue actions as `a` and `t`, marked posts included.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from socialdesk.screens.triage_actions import TriageActions

HANDOVER_BINDINGS: list[Binding] = [
    Binding("at", "triage_assign_to", "Assign to", id="triage.assign_to", show=False),
    Binding("minus", "triage_untag", "Remove tag", id="triage.untag", show=False),
]


class AssigneesRead(Message):
    """Whom the selected conversations can be handed to (or why not), read in a worker."""

    def __init__(self, names: tuple[str, ...], refused: str, current: str) -> None:
        super().__init__()
        self.names, self.refused, self.current = names, refused, current


class TagsRead(Message):
    """The tags the selected posts carry, read in a worker."""

    def __init__(self, tags: list[str]) -> None:
        super().__init__()
        self.tags = tags


class HandoverActions(TriageActions):
    """Actions bound by HANDOVER_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    def action_triage_assign_to(self) -> None:
        """Pick a colleague (the team's members; handing to another is a supervisor's) and assign."""
        if not self._targets():
            self.notify("Nothing selected", severity="warning")
            return
        ctx, team = self.ctx, getattr(self, "team", None) is not None
        post = self.selected_post
        current = post.assigned_to if post is not None and not self.marked_ids else ""

        def read() -> None:
            from socialdesk.services.handover import assignees

            found = assignees(ctx.store, ctx.agent.name, team)
            self.post_message(AssigneesRead(found.names, found.refused, current))

        self.run_worker(
            read, thread=True, group="handover", exit_on_error=False, description="Reading whom to assign"
        )

    def on_assignees_read(self, message: AssigneesRead) -> None:
        from socialdesk.screens.choice import ChoiceScreen
        from socialdesk.services.handover import NOBODY

        if message.refused:
            self.notify(message.refused, severity="warning", markup=False)
            return

        def picked(name: str | None) -> None:
            if name is None:
                return
            target = "" if name == NOBODY else name
            said = "Unassigned" if not target else f"Assigned to {target}"
            self._on_targets(said, lambda svc, ids: svc.assign(ids, target))

        values = [*message.names, NOBODY]
        self.app.push_screen(ChoiceScreen("Assign to", values, message.current or NOBODY), picked)

    def action_triage_untag(self) -> None:
        """Pick one of the selected posts' tags and take it off them."""
        ids = self._targets()
        if not ids:
            self.notify("Nothing selected", severity="warning")
            return
        store = self.ctx.store

        def read() -> None:
            from socialdesk.services.handover import tags_of

            self.post_message(TagsRead(tags_of(store, ids)))

        self.run_worker(read, thread=True, group="handover", exit_on_error=False, description="Reading tags")

    def on_tags_read(self, message: TagsRead) -> None:
        from socialdesk.screens.choice import ChoiceScreen

        if not message.tags:
            self.notify("No tag to remove", severity="warning")
            return

        def picked(tag: str | None) -> None:
            if tag:
                self._on_targets(f"Removed tag {tag}:", lambda svc, ids: svc.tag(ids, tag, remove=True))

        self.app.push_screen(ChoiceScreen("Remove tag", message.tags, None), picked)
