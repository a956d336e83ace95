"""The playbook's automations, run by the hub once for the whole team on the team database.

The same `[[automation]]`s as a solo desk's (services/automations.py parses and checks them), with
the same meaning: each fires once per conversation and condition (the post that started the wait,
or the resolution), waits older than the 7-day horizon are left alone, every firing is audited
under agent `automation` with what it did, an escalation leaves a note, priority is only raised.
Snoozed conversations whose time has come wake first. Every hub runs them (so they go on when one
dies); the claim row committed with a firing's changes (team/automations.py) makes it happen once.
The changes are ordinary writes of `conversations` and `notes`, so the change feed brings them to
every desk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.services.automations import HORIZON, Automation, AutomationReport, Fired
from socialdesk.services.team_query import team_filter
from socialdesk.team import automations as ta
from socialdesk.team.notices import raise_notices

if TYPE_CHECKING:
    import psycopg

# Conversations per automation per pass; the rest wait for the next pass.
LIMIT = 500


def run_for_team(
    conn: psycopg.Connection,
    automations: Sequence[Automation],
    now: float,
    hub: str,
    limit: int = LIMIT,
) -> AutomationReport:
    """Wake the team's snoozed conversations whose time has come, then fire each automation.

    Args:
        conn: an autocommit connection to the team database.
        automations: the hub's playbook's, in order.
        now: the hub's clock (what waits are measured against).
        hub: this hub's name, kept with each firing.
    """
    report = AutomationReport(woke=ta.wake_snoozed(conn, now, hub))
    for automation in automations:
        try:
            where, params = team_filter(automation.query, "", now) if automation.query else ("true", [])
        except UserError as exc:
            report.refused.append(f"automation {automation.name!r} does not run for the team: {exc}")
            continue
        report.fired += _run_one(conn, automation, now, hub, where, params, limit)
    return report


def _run_one(
    conn: psycopg.Connection,
    automation: Automation,
    now: float,
    hub: str,
    where: str,
    params: Sequence[object],
    limit: int,
) -> list[Fired]:
    name = automation.name
    # (conversation, the post it fires for, the condition's instance), and the same question asked
    # again for one conversation under its lock: is that still the condition's instance?
    found: list[tuple[int, int, str]]
    still: Callable[[int], list[str]]
    if automation.when == "unanswered":
        waited, horizon = now - automation.after, now - automation.after - HORIZON
        rows = ta.unanswered(conn, name, waited, horizon, where, params, limit)
        found = [(c, p, str(p)) for c, p in rows]
        still = lambda c: [str(p) for _, p in ta.unanswered(conn, name, waited, horizon, where, params, 1, c)]  # noqa: E731
    else:
        resolved = now - automation.after
        found = [(c, p, i) for c, p, _, i in ta.quiet_resolved(conn, name, resolved, where, params, limit)]
        still = lambda c: [r[3] for r in ta.quiet_resolved(conn, name, resolved, where, params, 1, c)]  # noqa: E731
    fired = []
    for conversation, post, instance in found:
        with conn.transaction():
            ta.lock(conn, conversation)
            # Under the row's lock: an agent may have answered, resolved or reopened it meanwhile.
            if still(conversation) != [instance]:
                continue  # answered, resolved or reopened meanwhile
            if not ta.claim_run(conn, name, conversation, instance, post, now, hub):
                continue  # another hub fired it meanwhile
            did = _act(conn, automation, conversation, post, instance)
            ta.set_run_did(conn, name, conversation, instance, did)
            ta.record(conn, conversation, post, automation=name, did=did, hub=hub)
        fired.append(Fired(name, post, did))
    return fired


def _act(
    conn: psycopg.Connection, automation: Automation, conversation: int, post: int, instance: str
) -> str:
    """Apply an automation's actions to a conversation; what it did, one line."""
    did = []
    if automation.priority is not None:
        raised = ta.raise_priority(conn, conversation, automation.priority)
        did.append(f"priority {automation.priority}" + ("" if raised else " (already)"))
    if automation.escalate:
        note = f"automation {automation.name!r}: no reply in {automation.after_text}"
        key = f"automation:{automation.name}:{conversation}:{instance}"
        ta.escalate(conn, conversation, post, automation.escalate, note, key)
        did.append(f"escalated to {automation.escalate}")
    if automation.close:
        ta.close(conn, conversation)
        did.append("closed")
    if automation.notify:  # the team's notices: the change feed brings them to every desk
        key = f"automation:{automation.name}:{conversation}:{instance}"
        raise_notices(conn, key, post, automation.notify, f"automation {automation.name!r}")
        did.append(f"notify {', '.join(automation.notify)}")
    return "; ".join(did)
