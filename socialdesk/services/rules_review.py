"""The dry run's review of a playbook over stored posts: counts, per-rule hits, and changes against the cache.

Stored posts are re-triaged as live sync triaged them: a post's author facts (repeat customer) count
only the customer's posts stored before it, never the post itself or later ones.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NotRequired, TypedDict

import msgspec

from socialdesk.models import Post
from socialdesk.store.playbook_queries import HIT_SPANS, rule_hit_counts
from socialdesk.store.retriage_queries import StoredTriage, stored_posts_page, stored_triage

if TYPE_CHECKING:
    from socialdesk.services.rules import Decision, Triager
    from socialdesk.store import Store

EXAMPLES_PER_TAG = 3
# Tags the triage itself sets besides the rules' own (an agent's hand-added tags are never "removed").
_TRIAGE_TAGS = frozenset({"spam", "vip"})
_ROUTING_PREFIXES = ("queue:", "suggest:", "assign:")


class Reviewed(msgspec.Struct, frozen=True):
    """One stored post re-triaged: the decision, and what the cache holds for it now."""

    post_id: int
    post: Post
    decision: Decision
    stored: StoredTriage


class Change(TypedDict, total=False):
    """What re-triage would change on one stored post: [was, would be], or the tags and assignee."""

    priority: list[int]
    actionable: list[bool]
    tags_added: list[str]
    tags_removed: list[str]
    assigned_to: str


class Brief(TypedDict):
    """A post as the report names it."""

    id: int
    author: str
    text: str


class TagExample(Brief):
    """A post a tag went to, with the priority it got."""

    priority: int


class ChangedPost(Brief, Change):
    """A post re-triage would change, and what it would change."""


class RuleCounts(TypedDict):
    """One rule's hits over the stored posts, the posts, and its live hits (`HIT_SPANS`)."""

    hits: int
    posts: list[Brief]
    made_not_actionable: list[Brief]
    live: NotRequired[dict[str, int]]


class DryRunReport(TypedDict):
    """What `dry_run` found (the command prints it, or --json writes it as it is)."""

    posts: int
    rules: dict[str, RuleCounts]
    warnings: list[str]
    tags: dict[str, int]
    priority: dict[str, int]
    intent: dict[str, int]
    sentiment: dict[str, int]
    actionable: dict[str, int]
    examples: dict[str, list[TagExample]]
    changed: NotRequired[int]
    changes: NotRequired[list[ChangedPost]]


def owned_tags(triager: Triager) -> frozenset[str]:
    """The tags a playbook's triage sets (routing tags by prefix): the only ones a review may take away."""
    return frozenset(t for rule in triager.rules for t in rule.tags) | _TRIAGE_TAGS


def _owned(tag: str, owned: frozenset[str]) -> bool:
    return tag in owned or tag.startswith(_ROUTING_PREFIXES)


def changes(item: Reviewed, owned: frozenset[str]) -> Change:
    """What re-triage would change on a stored post ({} when nothing)."""
    tri, stored = item.decision.triage, item.stored
    change: Change = {}
    if tri.priority != stored["priority"]:
        change["priority"] = [stored["priority"], tri.priority]
    if tri.actionable != stored["actionable"]:
        change["actionable"] = [stored["actionable"], tri.actionable]
    added = sorted(set(tri.tags) - set(stored["tags"]))
    removed = sorted(t for t in set(stored["tags"]) - set(tri.tags) if _owned(t, owned))
    if added:
        change["tags_added"] = added
    if removed:
        change["tags_removed"] = removed
    if tri.assigned_to and not stored["assigned_to"]:
        change["assigned_to"] = tri.assigned_to
    return change


def reviewed(store: Store, triager: Triager, since: float, page_size: int = 500) -> Iterator[Reviewed]:
    """Every inbound post stored since `since`, oldest first, re-triaged (paged: never loads all)."""
    after: tuple[float, int] | None = None
    while True:
        page = stored_posts_page(store.conn, since, after, page_size)
        if not page:
            return
        decisions = triager.decide_stored(page, store.conn)
        stored = stored_triage(store.conn, [post_id for post_id, _ in page])
        for (post_id, post), decision in zip(page, decisions, strict=True):
            yield Reviewed(post_id, post, decision, stored[post_id])
        last_id, last = page[-1]
        after = (last.created_at, last_id)


def _brief(item: Reviewed) -> Brief:
    return {"id": item.post_id, "author": item.post.author.handle, "text": item.post.text[:140]}


def dry_run(
    store: Store,
    triager: Triager,
    since: float,
    page_size: int = 500,
    *,
    diff: bool = False,
    all_posts: bool = False,
) -> DryRunReport:
    """What `triager` would do to the inbound posts stored since `since` (changes nothing).

    Args:
        diff: also list what would change against what is stored (`changes`).
        all_posts: list every post each rule fired on (else the first few).

    Returns:
        Counts per tag, priority, intent, sentiment and actionable; per rule (playbook order) its hits,
        its posts and the posts it would make not actionable; warnings; a few examples per tag.
    """
    tags: Counter[str] = Counter()
    priorities: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    sentiments: Counter[str] = Counter()
    actionable: Counter[str] = Counter()
    examples: dict[str, list[TagExample]] = {}
    rules: dict[str, RuleCounts] = {
        r.name: {"hits": 0, "posts": [], "made_not_actionable": []} for r in triager.rules
    }
    owned = owned_tags(triager)
    changed: list[ChangedPost] = []
    total = 0
    for item in reviewed(store, triager, since, page_size):
        total += 1
        tri = item.decision.triage
        priorities[str(tri.priority)] += 1
        intents[tri.intent] += 1
        sentiments[tri.sentiment_label] += 1
        actionable["yes" if tri.actionable else "no"] += 1
        for tag in tri.tags:
            tags[tag] += 1
            shown = examples.setdefault(tag, [])
            if len(shown) < EXAMPLES_PER_TAG:
                shown.append({**_brief(item), "priority": tri.priority})
        for index in item.decision.fired:
            rule = triager.rules[index]
            counts = rules[rule.name]
            counts["hits"] += 1
            if all_posts or len(counts["posts"]) < EXAMPLES_PER_TAG:
                counts["posts"].append(_brief(item))
            if rule.actionable is False and item.decision.classified_actionable and not tri.actionable:
                counts["made_not_actionable"].append(_brief(item))
        if diff and (change := changes(item, owned)):
            changed.append({**_brief(item), **change})
    live = rule_hit_counts(store.conn, int(time.time() // 60))
    for name, counts in rules.items():
        counts["live"] = live.get(name, dict.fromkeys(HIT_SPANS, 0))
    report: DryRunReport = {
        "posts": total,
        "rules": rules,
        "warnings": [
            f"rule {name!r} matches none of the {total} posts" for name, r in rules.items() if not r["hits"]
        ],
        "tags": dict(tags.most_common()),
        "priority": dict(sorted(priorities.items())),
        "intent": dict(intents.most_common()),
        "sentiment": dict(sentiments.most_common()),
        "actionable": dict(actionable),
        "examples": examples,
    }
    if diff:
        report["changed"] = len(changed)
        report["changes"] = changed
    return report


def fired_names(triager: Triager, fired: Sequence[int]) -> list[str]:
    """The names of the rules at these indices."""
    return [triager.rules[i].name for i in fired]


def apply_review(store: Store, triager: Triager, since: float, agent: str, source: str) -> int:
    """Re-triage the stored posts since `since`: write what `changes` finds; returns how many changed.

    Priority, actionable and the SLA due time follow the playbook; the playbook's own tags are added
    or taken away (an agent's hand-added tags stay); a rule's assignee is set only where nobody is.
    Recorded in the audit log, once, with the count.
    """
    from socialdesk.store.retriage_queries import retriage

    owned = owned_tags(triager)
    count = 0
    for item in reviewed(store, triager, since):
        change = changes(item, owned)
        if not change:
            continue
        tri = item.decision.triage
        with store.transaction() as conn:
            retriage(
                conn,
                item.post_id,
                priority=tri.priority,
                actionable=tri.actionable,
                due_at=tri.due_at,
                add=change.get("tags_added", []),
                remove=change.get("tags_removed", []),
                assign=change.get("assigned_to", ""),
            )
        count += 1
    store.audit(agent, "rules applied", None, playbook=source, since=since, changed=count)
    return count
