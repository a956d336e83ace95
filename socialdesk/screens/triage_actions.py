"""Triage keys for the desk: next, resolve, snooze, assign, tag, bulk marks, notes, escalation, queues.

`TriageActions` is a mixin for the desk screen, which implements `socialdesk.screens.host.DeskHost`.
Store I/O runs in thread workers that end by posting TriageChanged, which the mixin turns into a refresh
and a notification. The saved queues (tabs, number keys, counts) are `QueueActions`, its base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec
from textual.binding import Binding
from textual.message import Message

from socialdesk.capabilities import facts
from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.screens.queue_actions import QueueActions

if TYPE_CHECKING:  # the queue service and classifier are imported by the actions that use them
    from socialdesk.models import PostRow
    from socialdesk.services.queue import QueueService

TRIAGE_BINDINGS: list[Binding] = [
    Binding("n", "triage_next", "Next", id="triage.next"),
    Binding("e", "triage_resolve", "Resolve", id="triage.resolve"),
    Binding("E", "triage_resolve_next", "Resolve+next", id="triage.resolve_next", show=False),
    Binding("p", "triage_pending", "Pending", id="triage.pending", show=False),
    Binding("z", "triage_snooze", "Snooze", id="triage.snooze", show=False),
    Binding("a", "triage_assign_me", "Assign me", id="triage.assign_me", show=False),
    Binding("t", "triage_tag", "Tag", id="triage.tag", show=False),
    Binding("space,x", "triage_mark", "Mark", id="triage.mark", show=False),
    Binding("N", "triage_note", "Note", id="triage.note", show=False),
    Binding("exclamation_mark", "triage_escalate", "Escalate", id="triage.escalate", show=False),
    Binding("S", "triage_sentiment", "Sentiment", id="triage.sentiment", show=False),
    Binding("I", "triage_intent", "Intent", id="triage.intent", show=False),
    Binding("A", "triage_approvals", "Approvals", id="triage.approvals", show=False),
    Binding("w", "triage_explain", "Why here", id="triage.explain", show=False),
    *[
        Binding(str(k), f"triage_queue({k})", f"Queue {k}", id=f"triage.queue{k}", show=False)
        for k in range(1, 10)
    ],
]


class TriageOutcome(msgspec.Struct):
    """What a triage action did, for the screen to show."""

    message: str = ""
    error: str = ""
    select: int | None = None
    changed: list[int] = msgspec.field(default_factory=list)


def plural(count: int, word: str) -> str:
    """`1 post`, `2 posts`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe(row: PostRow) -> str:
    """How a toast names a conversation: who, where and the first words (never our internal id)."""
    words = clean(row.text, single_line=True)
    words = words if len(words) <= 40 else words[:39] + "…"
    network = facts(row.network).display_name
    return f"@{clean(row.author_handle, single_line=True)} on {network}: \u201c{words}\u201d"


class TriageChanged(Message):
    """A triage action finished in a worker (the feed and thread need re-reading)."""

    def __init__(self, outcome: TriageOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class PostExplained(Message):
    """Why a post is where it is, as lines (`services.rules_explain`), read in a worker."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class TriageActions(QueueActions):
    """Mixin adding the triage keys to the desk screen (`self` is a `screens.host.DeskHost`)."""

    # -- helpers -----------------------------------------------------------------------------------

    def _targets(self) -> list[int]:
        """The marked posts (bulk), else the selected one."""
        if self.marked_ids:
            return sorted(self.marked_ids)
        return [self.selected_post.id] if self.selected_post is not None else []

    def _triage_run(self, description: str, op: Callable[[QueueService], TriageOutcome]) -> None:
        ctx = self.ctx

        def job() -> None:
            from socialdesk.services.queue import QueueService

            try:
                outcome = op(QueueService(ctx.store, ctx.agent, team=getattr(self, "team", None)))
            except UserError as exc:
                outcome = TriageOutcome(error=str(exc))
            self.post_message(TriageChanged(outcome))

        self.run_worker(job, thread=True, group="triage", exit_on_error=False, description=description)

    def _triage_one(self, done: str, post_id: int, op: Callable[[QueueService], object]) -> None:
        def run(svc: QueueService) -> TriageOutcome:
            op(svc)
            return TriageOutcome(done, changed=[post_id])

        self._triage_run(done, run)

    def _on_targets(
        self, verb: str, op: Callable[[QueueService, list[int]], object], bulk_clear: bool = True
    ) -> None:
        ids = self._targets()
        if not ids:
            self.notify("Nothing selected", severity="warning")
            return
        if bulk_clear:
            self.marked_ids.clear()

        def run(svc: QueueService) -> TriageOutcome:
            changed = op(svc, ids)
            if not isinstance(changed, list):  # a change to the posts themselves (a tag)
                return TriageOutcome(f"{verb} {plural(len(ids), 'post')}", changed=ids)
            # A status change applies to whole conversations: say so when it reached more posts.
            said = f"{verb}: {plural(len(ids), 'conversation')}"
            if len(changed) != len(ids):
                said += f" ({plural(len(changed), 'post')})"
            return TriageOutcome(said, changed=changed or ids)

        self._triage_run(verb, run)

    # -- actions -----------------------------------------------------------------------------------

    def action_triage_next(self) -> None:
        """Claim the next conversation of the current queue and open it."""
        flt = self._triage_filter()

        def run(svc: QueueService) -> TriageOutcome:
            row = svc.claim_next(flt)
            if row is None:
                return TriageOutcome("Queue is empty: nothing to claim")
            return TriageOutcome(f"Claimed {describe(row)}", select=row.id, changed=[row.id])

        self._triage_run("Claiming the next conversation", run)

    def action_triage_resolve(self) -> None:
        self._on_targets("Resolved", lambda svc, ids: svc.resolve(ids))

    def action_triage_resolve_next(self) -> None:
        """Resolve the selected conversation and claim the next one."""
        post = self.selected_post
        if post is None:
            self.action_triage_next()
            return
        flt = self._triage_filter()

        def run(svc: QueueService) -> TriageOutcome:
            row = svc.resolve_and_next(post.id, flt)
            if row is None:
                return TriageOutcome("Resolved; the queue is empty", changed=[post.id])
            return TriageOutcome(
                f"Resolved; claimed {describe(row)}", select=row.id, changed=[post.id, row.id]
            )

        self._triage_run("Resolving and claiming the next", run)

    def action_triage_pending(self) -> None:
        self._on_targets("Pending", lambda svc, ids: svc.pending(ids))

    def action_triage_assign_me(self) -> None:
        self._on_targets("Assigned to you", lambda svc, ids: svc.assign(ids))

    def action_triage_snooze(self) -> None:
        from socialdesk.screens.note import PromptScreen
        from socialdesk.services.queue import parse_duration

        def validate(text: str) -> str | None:
            try:
                parse_duration(text)
            except UserError as exc:
                return str(exc)
            return None

        def done(value: str | None) -> None:
            if value:
                seconds = parse_duration(value)
                self._on_targets(f"Snoozed ({value})", lambda svc, ids: svc.snooze(ids, seconds))

        self.app.push_screen(PromptScreen("Snooze for (30m, 2h, 1d, 1w)", "2h", validate), done)

    def action_triage_tag(self) -> None:
        from socialdesk.screens.note import PromptScreen

        def validate(text: str) -> str | None:
            return "A tag is one word without spaces" if any(c.isspace() for c in text) else None

        def done(value: str | None) -> None:
            if value:
                self._on_targets(f"Tagged {value}:", lambda svc, ids: svc.tag(ids, value))

        self.app.push_screen(PromptScreen("Tag", "billing", validate), done)

    def action_triage_mark(self) -> None:
        """Mark or unmark the selected post for a bulk action."""
        post = self.selected_post
        if post is None:
            return
        if post.id in self.marked_ids:
            self.marked_ids.discard(post.id)
        else:
            self.marked_ids.add(post.id)
        self.refresh_feed()

    def action_triage_note(self) -> None:
        from socialdesk.screens.note import NoteScreen

        post = self.selected_post
        if post is None:
            return

        def done(text: str | None) -> None:
            if text:
                self._triage_one("Note added", post.id, lambda svc: svc.note(post.id, text))

        self.app.push_screen(NoteScreen(), done)

    def action_triage_escalate(self) -> None:
        from socialdesk.screens.escalate import EscalateScreen
        from socialdesk.services.playbook_keeper import keeper_for
        from socialdesk.services.sla_policy import parse_escalation

        post = self.selected_post
        if post is None:
            return
        playbook = keeper_for(self.ctx).current().playbook  # checked: its roles parse
        roles = parse_escalation(playbook.section("escalation"), playbook.source)

        def done(choice: tuple[str, str] | None) -> None:
            if choice:
                role, note = choice
                self._triage_one(
                    f"Escalated to {role}", post.id, lambda svc: svc.escalate(post.id, role, note, roles)
                )

        self.app.push_screen(EscalateScreen(roles=roles), done)

    def action_triage_sentiment(self) -> None:
        """Correct the selected post's sentiment: pick from the labels, the current one shown."""
        from socialdesk.screens.choice import ChoiceScreen
        from socialdesk.services.sentiment import SENTIMENT_LABELS

        post = self.selected_post
        if post is None:
            return

        def picked(label: str | None) -> None:
            if label and label != post.sentiment_label:
                post.sentiment_label = label  # shown at once; the worker makes it stick
                self._triage_one(
                    f"Sentiment: {label}", post.id, lambda svc: svc.correct(post.id, sentiment_label=label)
                )

        self.app.push_screen(ChoiceScreen("Sentiment", SENTIMENT_LABELS, post.sentiment_label), picked)

    def action_triage_intent(self) -> None:
        """Correct the selected post's intent: pick from the intents, the current one shown."""
        from socialdesk.screens.choice import ChoiceScreen
        from socialdesk.services.intents import INTENTS

        post = self.selected_post
        if post is None:
            return

        def picked(intent: str | None) -> None:
            if intent and intent != post.intent:
                post.intent = intent
                self._triage_one(
                    f"Intent: {intent}", post.id, lambda svc: svc.correct(post.id, intent=intent)
                )

        self.app.push_screen(ChoiceScreen("Intent", INTENTS, post.intent), picked)

    def action_triage_approvals(self) -> None:
        """Open the approver's queue (needs the approver role)."""
        from socialdesk.screens.approvals import ApprovalsScreen
        from socialdesk.services.queue import APPROVER_ROLE

        if APPROVER_ROLE not in self.ctx.agent.roles:
            self.notify("Approving replies needs the approver role (config: desk.roles)", severity="warning")
            return
        self.app.push_screen(ApprovalsScreen(self.ctx, self.outbox))

    def action_triage_explain(self) -> None:
        """Why is the selected post here: the rules that fired, in order (read in a worker, then a modal)."""
        post = self.selected_post
        if post is None:
            self.notify("Select a post first", severity="warning")
            return
        ctx = self.ctx

        def job() -> None:
            from socialdesk.services.playbook_keeper import keeper_for
            from socialdesk.services.rules_explain import explain_stored

            try:
                state = keeper_for(ctx).current()
                clock = getattr(self.app, "clock", None)  # the app's clock: automations' times
                now = clock() if callable(clock) else None
                lines = explain_stored(ctx.store, state.triager, post.id, state.automations, now).lines()
                if state.refused:
                    lines.insert(0, state.refused)
            except UserError as exc:
                lines = [str(exc)]
            self.post_message(PostExplained(lines))

        self.run_worker(
            job,
            thread=True,
            group="triage-explain",
            exclusive=True,
            exit_on_error=False,
            description="Explaining a post",
        )

    # -- results -----------------------------------------------------------------------------------

    def on_post_explained(self, message: PostExplained) -> None:
        from socialdesk.screens.explain import ExplainScreen

        self.app.push_screen(ExplainScreen(message.lines))

    def on_triage_changed(self, message: TriageChanged) -> None:
        outcome = message.outcome
        if outcome.error:
            self.notify(outcome.error, severity="error", markup=False)
            return
        if outcome.message:
            self.notify(outcome.message, markup=False)
        self.refresh_feed()
        if outcome.select is not None:
            self.select_post(outcome.select)
        self.refresh_thread()
        self.refresh_queue_counts()
