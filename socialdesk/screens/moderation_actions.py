"""Block, mute or report the selected post's author as spam (B): chosen, reviewed, then done and audited.

Mix `ModerationActions` into the desk screen and add `MODERATION_BINDINGS` to its BINDINGS.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.screens.host import HostScreen

MODERATION_BINDINGS: list[Binding] = [
    Binding("B", "moderate", "Block, mute, report", id="author.moderate", show=False),
]


class Moderated(Message):
    """A block, mute or report finished: what the network confirmed, or why it failed (one line)."""

    def __init__(self, text: str, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error


class ModerationActions(HostScreen):
    """Actions bound by MODERATION_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    def action_moderate(self) -> None:
        """Choose block, mute or report; the review says what it will do before anything is sent."""
        from socialdesk.screens.choice import ChoiceScreen
        from socialdesk.services.moderation import ACTIONS

        post = self.selected_post
        if post is None or post.is_ours:
            self.notify("Select a customer's post first", severity="warning")
            return
        labels = {label: action for action, label in ACTIONS.items()}

        def chosen(label: str | None) -> None:
            if label in labels:
                self._review_moderation(labels[label])

        self.app.push_screen(
            ChoiceScreen(f"@{post.author_handle}: block, mute or report?", list(labels), None), chosen
        )

    def _review_moderation(self, action: str) -> None:
        from socialdesk import capabilities
        from socialdesk.screens.review import ReviewData, ReviewScreen
        from socialdesk.services.moderation import ACTIONS, EFFECTS

        post = self.selected_post
        if post is None:
            return
        network = capabilities.labels().name(post.network)
        comment = f"Spam: post {post.native_id}, reported by {self.ctx.agent.name} from socialdesk"
        what = f"{ACTIONS[action]} @{post.author_handle} on {network}"
        data = ReviewData(
            parts=(what + (f"\ncomment: {comment}" if action == "report" else ""),),
            destination=ACTIONS[action].lower(),
            account=post.account,
            network=network,
            target=f"@{post.author_handle} · post {post.id}",
            counts=("",),
            note=EFFECTS[action],
        )
        post_id = post.id

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run_moderation(post_id, action, comment if action == "report" else "")

        self.app.push_screen(ReviewScreen(data), confirmed)

    def _run_moderation(self, post_id: int, action: str, comment: str) -> None:
        from socialdesk.services.moderation import moderate
        from socialdesk.services.outbox_worker import resolver_for

        store, agent, resolve = self.ctx.store, self.ctx.agent.name, resolver_for(self.ctx)
        if self.ctx.offline:
            self.notify(
                "Offline (--offline): nothing can be blocked, muted or reported now", severity="warning"
            )
            return

        def work() -> None:
            try:
                self.post_message(Moderated(moderate(store, resolve, agent, post_id, action, comment)))
            except UserError as exc:
                self.post_message(Moderated(str(exc), error=True))

        self.run_worker(work, thread=True, exit_on_error=False, group="moderation", description="Moderating")

    def on_moderated(self, message: Moderated) -> None:
        self.notify(
            message.text, severity="error" if message.error else "information", markup=False, timeout=8
        )
