"""Why a post is where it is: the rules that fired for it, in order, what each set, where `stop` cut in."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

import msgspec

from socialdesk.errors import UserError
from socialdesk.services.rule_match import Rule
from socialdesk.store.retriage_queries import StoredTriage, stored_posts_by_id, stored_triage

if TYPE_CHECKING:
    from socialdesk.models import Post
    from socialdesk.services.automations import Automation
    from socialdesk.services.rules import Triager
    from socialdesk.store import Store, Triage

PRIORITY_NAMES = ("low", "normal", "high", "urgent")


class RuleSets(TypedDict, total=False):
    """What a rule sets when it fires (only its actions are present)."""

    tags: list[str]
    priority: int
    actionable: bool
    assign: str
    status: str
    escalate: str
    notify: list[str]
    stop: bool


class Fired(msgspec.Struct, frozen=True):
    """One rule that fired and what it set."""

    name: str
    sets: RuleSets


class Explanation(msgspec.Struct):
    """A post's path through the playbook."""

    post_id: int
    post: Post
    triage: Triage
    fired: list[Fired] = msgspec.field(default_factory=list)
    stopped_by: str = ""
    skipped: list[str] = msgspec.field(default_factory=list)  # rules never evaluated (after the stop)
    classification: dict[str, str] = msgspec.field(default_factory=dict)
    stored: StoredTriage | None = None  # None: the cache holds no triage for it
    automations: list[str] = msgspec.field(default_factory=list)  # `automations.explain`'s lines

    def lines(self) -> list[str]:
        """The explanation as plain lines (post text is the caller's to sanitise; these hold none)."""
        tri = self.triage
        out = [
            f"post {self.post_id} by {self.post.author.handle} on {self.post.network}",
            "classifier: " + ", ".join(f"{k} {v}" for k, v in self.classification.items()),
        ]
        if not self.fired:
            out.append("no rule fired")
        for number, fired in enumerate(self.fired, 1):
            sets = (
                "; ".join(f"{k} {_shown(v)}" for k, v in fired.sets.items()) or "nothing (a condition only)"
            )
            out.append(f"{number}. {fired.name}: {sets}")
        if self.stopped_by:
            count = len(self.skipped)
            rules = "rule below was" if count == 1 else "rules below were"
            out.append(f"   stop: the {count} {rules} not evaluated ({', '.join(self.skipped)})")
        out.append(
            f"result: priority {tri.priority} {PRIORITY_NAMES[tri.priority]}, "
            f"{'actionable' if tri.actionable else 'not actionable'}, tags {_shown(list(tri.tags))}"
            + (f", assigned to {tri.assigned_to}" if tri.assigned_to else "")
        )
        if self.stored:
            stored_tags = sorted(self.stored["tags"])
            same = self.stored["priority"] == tri.priority and set(stored_tags) >= set(tri.tags)
            out.append(
                f"stored: priority {self.stored['priority']}, tags {_shown(stored_tags)}"
                + ("" if same else " (the playbook now decides otherwise: socialdesk rules apply)")
            )
        out.extend(self.automations)
        return out


def _shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rule_sets(rule: Rule) -> RuleSets:
    """What a rule sets when it fires (its actions)."""
    sets: RuleSets = {}
    if rule.tags:
        sets["tags"] = list(rule.tags)
    if rule.priority is not None:
        sets["priority"] = rule.priority
    if rule.actionable is not None:
        sets["actionable"] = rule.actionable
    if rule.assign:
        sets["assign"] = rule.assign
    if rule.status is not None:
        sets["status"] = rule.status
    if rule.escalate:
        sets["escalate"] = rule.escalate
    if rule.notify:
        sets["notify"] = list(rule.notify)
    if rule.stop:
        sets["stop"] = True
    return sets


def explain_stored(
    store: Store,
    triager: Triager,
    post_id: int,
    automations: Sequence[Automation] = (),
    now: float | None = None,
) -> Explanation:
    """Run one stored post through `triager` (as live sync would have) and say what fired, and what
    each of `automations` did to its conversation or when it would fire (at `now`, default: now).

    Raises:
        UserError: no inbound post with that id.
    """
    found = stored_posts_by_id(store.conn, [post_id])
    if not found:
        raise UserError(f"no inbound post {post_id} in the cache")
    post = found[0][1]
    decision = triager.decide_stored(found, store.conn)[0]
    names = [r.name for r in triager.rules]
    explanation = Explanation(
        post_id,
        post,
        decision.triage,
        [Fired(triager.rules[i].name, rule_sets(triager.rules[i])) for i in decision.fired],
        classification={
            "intent": decision.triage.intent,
            "sentiment": decision.triage.sentiment_label,
            "actionable": "yes" if decision.classified_actionable else "no",
            **(
                {"language": f"{decision.lang_guess or 'unsure'} (detected)"}
                if decision.lang_guess is not None
                else {}
            ),
        },
        stored=stored_triage(store.conn, [post_id]).get(post_id),
    )
    if decision.stopped_by is not None:
        explanation.stopped_by = names[decision.stopped_by]
        explanation.skipped = names[decision.stopped_by + 1 :]
    if automations:
        from socialdesk.services.automations import explain

        explanation.automations = explain(store, automations, post_id, time.time() if now is None else now)
    return explanation
