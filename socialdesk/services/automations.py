"""Time-based automations from the playbook's `[[automation]]`: unanswered posts, quiet resolved ones.

    [[automation]]
    name = "unanswered 30 minutes"
    when = "unanswered"          # a customer post with no answer from us
    after = "30m"                # 30m, 2h, 1d, 1w
    query = "tag:vip"            # optional: only posts this search selects
    priority = 3                 # raise to (never lowers)
    notify = "desk"              # or agents' names
    escalate = "supervisor"      # one of [escalation]'s roles

    [[automation]]
    name = "close quiet resolved"
    when = "resolved"            # resolved, and the customer has not written since
    after = "3d"
    close = true                 # status closed: final; the customer's next post is its own case

The desk runs them every minute and after each sync, `socialdesk sync` after each round, both on
their clock, and snoozed posts whose time has come wake in the same pass. Each automation fires once
per conversation and condition (the oldest waiting post, the resolved post), so running twice, or in
two processes, changes nothing more; each firing is audited and kept for `rules explain`. A team
desk runs none: the hub runs them for the team on the team database (hub/automations.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from socialdesk.errors import UserError
from socialdesk.models import Agent, Status
from socialdesk.services.queue import QueueService, parse_duration
from socialdesk.services.rule_parse import parse_audience
from socialdesk.store import automation_queries as aq
from socialdesk.store.queries import filter_sql

if TYPE_CHECKING:
    from socialdesk.services.playbook import PlaybookFile
    from socialdesk.services.playbook_keeper import PlaybookKeeper
    from socialdesk.store import Store

WHEN = ("unanswered", "resolved")
# An unanswered post older than its wait plus this is left alone: adding an automation does not
# fire it on a month of old backlog.
HORIZON = 7 * 86400
_KEYS = ("name", "when", "after", "query", "priority", "notify", "escalate", "close")
_ACTIONS = {"unanswered": ("priority", "notify", "escalate"), "resolved": ("close", "notify")}
# Who the audit log says acted.
AUTOMATION_AGENT = "automation"


class Automation(msgspec.Struct, frozen=True):
    """One validated `[[automation]]`."""

    name: str
    when: str
    after: float  # seconds
    after_text: str  # as written ("30m"), for explanations
    query: str = ""
    priority: int | None = None
    notify: tuple[str, ...] = ()
    escalate: str | None = None
    close: bool = False

    def describe(self) -> str:
        """What it does, in one line."""
        cond = "no reply" if self.when == "unanswered" else "resolved, no customer reply"
        acts = []
        if self.priority is not None:
            acts.append(f"raise priority to {self.priority}")
        if self.escalate:
            acts.append(f"escalate to {self.escalate}")
        if self.close:
            acts.append("close")
        if self.notify:
            acts.append(f"notify {', '.join(self.notify)}")
        where = f" ({self.query})" if self.query else ""
        return f"{cond} in {self.after_text}{where} -> {', '.join(acts)}"


def parse_automation(raw: object, index: int, source: str, roles: Sequence[str] | None = None) -> Automation:
    """Validate one `[[automation]]` table.

    Raises:
        UserError: one line naming the file, the automation and the key.
    """
    if not isinstance(raw, dict):
        raise UserError(f"{source}: automation[{index}] must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{source}: automation[{index}].name must be a non-empty string")
    label = f"{source}: automation {name!r}"
    for key in raw:
        if key not in _KEYS:
            raise UserError(f"{label}: unknown key {key!r} (known: {', '.join(_KEYS)})")
    when = raw.get("when")
    if when not in WHEN:
        raise UserError(f"{label}: when must be one of {', '.join(WHEN)}, got {when!r}")
    after_text = raw.get("after")
    if not isinstance(after_text, str):
        raise UserError(f'{label}: after must be a duration such as "30m", "2h" or "3d", got {after_text!r}')
    try:
        after = parse_duration(after_text)
    except UserError as exc:
        raise UserError(f"{label}: after: {exc}") from None
    actions = [k for k in _KEYS[4:] if k in raw]
    wrong = next((k for k in actions if k not in _ACTIONS[when]), None)
    if wrong is not None:
        raise UserError(f"{label}: {wrong!r} does not apply when {when} (use {', '.join(_ACTIONS[when])})")
    if not actions:
        raise UserError(f"{label} does nothing: give it {', '.join(_ACTIONS[when])}")
    query = raw.get("query", "")
    if not isinstance(query, str):
        raise UserError(f"{label}: query must be a search string, got {query!r}")
    if query:
        from socialdesk.services.query import parse_query

        try:
            parse_query(query)
        except UserError as exc:
            raise UserError(f"{label}: query {query!r}: {exc}") from None
    priority = raw.get("priority")
    if priority is not None and (
        not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 3
    ):
        raise UserError(f"{label}: priority must be 0 (low) to 3 (urgent), got {priority!r}")
    escalate = raw.get("escalate")
    if escalate is not None and (
        not isinstance(escalate, str) or (roles is not None and escalate not in roles)
    ):
        raise UserError(
            f"{label}: escalate: {escalate!r} is not an [escalation] role (roles: {', '.join(roles or ())})"
        )
    close = raw.get("close", False)
    if not isinstance(close, bool):
        raise UserError(f"{label}: close must be true or false, got {close!r}")
    if when == "resolved" and "close" in raw and not close and "notify" not in raw:
        raise UserError(f"{label} does nothing: close = false and no notify")
    notify = parse_audience(raw["notify"], f"{label}: notify") if "notify" in raw else ()
    return Automation(name, when, after, after_text, query, priority, notify, escalate, close)


def parse_automations(playbook: PlaybookFile, roles: Sequence[str] | None = None) -> list[Automation]:
    """Every `[[automation]]` of a playbook, in order.

    Raises:
        UserError: the first bad one, or two with the same name.
    """
    raw = playbook.section("automation", [])
    if not isinstance(raw, list):
        raise UserError(f"{playbook.source}: automations must be written as [[automation]] tables")
    found = [parse_automation(a, i, playbook.source, roles) for i, a in enumerate(raw)]
    names = [a.name for a in found]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise UserError(f"{playbook.source}: two automations are named {dup!r}")
    return found


class Fired(msgspec.Struct):
    """One automation firing for one conversation."""

    automation: str
    post_id: int
    did: str


class AutomationReport(msgspec.Struct):
    """What one pass did."""

    woke: list[int] = msgspec.field(default_factory=list)
    fired: list[Fired] = msgspec.field(default_factory=list)
    refused: list[str] = msgspec.field(default_factory=list)  # automations that could not run, and why

    def summary(self) -> str:
        """One line for `sync` ("" when nothing happened)."""
        counts: dict[str, int] = {}
        for f in self.fired:
            counts[f.automation] = counts.get(f.automation, 0) + 1
        parts = [f"{name!r} fired for {n} conversation{'s' * (n != 1)}" for name, n in counts.items()]
        if self.woke:
            parts.append(f"{len(self.woke)} snoozed post{'s' * (len(self.woke) != 1)} woke")
        parts += self.refused
        return "automations: " + " · ".join(parts) if parts else ""


def run_automations(
    store: Store,
    automations: Sequence[Automation],
    now: float,
    roles: Sequence[str] = (),
    limit: int = 500,
) -> AutomationReport:
    """Wake snoozed posts whose time has come, then fire each automation where its condition holds now.

    Args:
        store: the cache.
        automations: the playbook's, in order.
        now: the app clock's time (tests pass a fake one).
        roles: the [escalation] roles (what `escalate` may name).
        limit: conversations per automation per pass (the rest wait for the next pass).
    """
    service = QueueService(store, Agent(AUTOMATION_AGENT), clock=lambda: now)
    report = AutomationReport(woke=service.wake_snoozed())
    for automation in automations:
        report.fired += _run_one(
            store, service, automation, now, roles or (automation.escalate or "",), limit
        )
    return report


def run_kept(keeper: PlaybookKeeper, now: float) -> AutomationReport:
    """One pass on the keeper's playbook (the last good one when the file is broken)."""
    state = keeper.current()
    return run_automations(keeper.store, state.automations, now, state.roles)


def _run_one(
    store: Store, service: QueueService, automation: Automation, now: float, roles: Sequence[str], limit: int
) -> list[Fired]:
    from socialdesk.services.query import parse_query

    where, params = filter_sql(parse_query(automation.query, "", now)) if automation.query else ("1", [])
    conn = store.conn
    # One per conversation and condition: the post that started the wait, or a resolved post standing
    # for its resolution (`instance`: when it was resolved).
    firsts: dict[tuple[str, str], tuple[int, str]] = {}
    if automation.when == "unanswered":
        waited = now - automation.after
        for post_id, network, conversation in aq.unanswered(
            conn, automation.name, waited, waited - HORIZON, where, params, limit
        ):
            firsts.setdefault((network, conversation), (post_id, ""))
    else:
        for post_id, network, conversation, resolved_at in aq.quiet_resolved(
            conn, automation.name, now - automation.after, where, params, limit
        ):
            firsts.setdefault((network, conversation), (post_id, repr(resolved_at)))
    fired = []
    for post_id, instance in firsts.values():
        with store.transaction() as conn:
            if not aq.claim_run(conn, automation.name, post_id, instance, now):
                continue  # another process (a second desk, a cron sync) fired it meanwhile
            did = _act(store, service, automation, post_id, now, roles)
            aq.set_run_did(conn, automation.name, post_id, instance, did)
            store.audit(AUTOMATION_AGENT, "automation", post_id, automation=automation.name, did=did)
        fired.append(Fired(automation.name, post_id, did))
    return fired


def _act(
    store: Store,
    service: QueueService,
    automation: Automation,
    post_id: int,
    now: float,
    roles: Sequence[str],
) -> str:
    """Apply an automation's actions to a post's conversation; returns what it did, one line."""
    from socialdesk.store.queue_queries import conversation_post_ids

    conn = store.conn
    did = []
    ids = conversation_post_ids(conn, [post_id]) or [post_id]
    if automation.priority is not None:
        raised = aq.raise_priority(conn, ids, automation.priority)
        did.append(f"priority {automation.priority}" + ("" if raised else " (already)"))
    if automation.escalate:
        note = f"automation {automation.name!r}: no reply in {automation.after_text}"
        service.escalate(post_id, automation.escalate, note, roles)
        did.append(f"escalated to {automation.escalate}")
    if automation.close:
        service.set_status([post_id], Status.CLOSED)
        did.append("closed")
    if automation.notify:
        origin = f"automation {automation.name!r}"
        aq.add_notifications(conn, [(now, post_id, audience, origin) for audience in automation.notify])
        did.append(f"notified {', '.join(automation.notify)}")
    return "; ".join(did)


def explain(store: Store, automations: Sequence[Automation], post_id: int, now: float) -> list[str]:
    """For `rules explain`: what each automation did to a post's conversation, or when it would fire.

    Plain lines (no post text); times in the local time zone.
    """
    from datetime import datetime

    from socialdesk.services.query import parse_query
    from socialdesk.store.queue_queries import conversation_post_ids

    conn = store.conn
    ids = conversation_post_ids(conn, [post_id]) or [post_id]
    runs = {(name, pid): (at, did) for name, pid, at, did in aq.runs_for(conn, ids)}

    def clock(at: float) -> str:
        return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")

    lines = []
    for automation in automations:
        head = f"automation {automation.name!r} ({automation.describe()})"
        fired = [(at, did, pid) for (name, pid), (at, did) in runs.items() if name == automation.name]
        if fired:
            at, did, pid = min(fired)
            lines.append(f"{head}: fired {clock(at)} for post {pid}: {did}")
            continue
        where, params = filter_sql(parse_query(automation.query, "", now)) if automation.query else ("1", [])
        marks = ",".join("?" * len(ids))
        where, params = f"({where}) AND p.id IN ({marks})", [*params, *ids]
        if automation.when == "unanswered":
            waiting = aq.unanswered(conn, automation.name, float("inf"), 0.0, where, params, 1)
            first = waiting[0][0] if waiting else post_id  # the post that started the conversation's wait
            row = conn.execute("SELECT created_at FROM posts WHERE id = ?", (first,)).fetchone()
            if waiting and row:
                due = float(row[0]) + automation.after
                when = "on the next pass" if due <= now else clock(due)
                too_old = due < now - HORIZON
                lines.append(
                    f"{head}: {'not: older than its 7-day horizon' if too_old else 'fires ' + when}"
                    + ("" if too_old else " if still unanswered")
                )
            else:
                lines.append(f"{head}: does not apply (answered, not waiting on us, or outside its query)")
        else:
            quiet = aq.quiet_resolved(conn, automation.name, float("inf"), where, params, 1)
            if quiet:
                due = quiet[0][3] + automation.after
                when = "on the next pass" if due <= now else clock(due)
                lines.append(f"{head}: fires {when} if the customer stays quiet")
            else:
                lines.append(f"{head}: does not apply (not resolved, or the customer wrote since)")
    return lines
