"""Checks a whole playbook: every section's errors (the playbook is refused) and warnings (it loads).

Each service keeps its own section's schema (`rule_parse`, `macros`, `queue`, `classify`); this module
runs them all, collects every error instead of stopping at the first, and adds what only the whole
file can tell: rules routing to queues no saved queue shows, networks and agents nobody knows, rules
that match every post.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import msgspec

from socialdesk.errors import UserError
from socialdesk.services.intents import parse_intent_section
from socialdesk.services.language import known_codes
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rule_parse import CONDITION_KEYS, macro_names, parse_rule, parse_vip, rule_context
from socialdesk.services.rules import named_languages
from socialdesk.services.sla_policy import parse_escalation, parse_sla


class CheckReport(msgspec.Struct):
    """What a check found: errors refuse the playbook, warnings do not."""

    source: str
    errors: list[str] = msgspec.field(default_factory=list)
    warnings: list[str] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def lines(self) -> list[str]:
        """One line per finding, errors first."""
        return [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]


T = TypeVar("T")


def _collect(report: CheckReport, check: Callable[[], T]) -> T | None:
    """What `check` returns, or None with its error added to the report."""
    try:
        return check()
    except UserError as exc:
        report.errors.append(str(exc))
        return None


def _did_you_mean(value: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _routed_queue_shown(queue: str, queues: list[dict[str, Any]]) -> bool:
    """Whether a saved queue shows what a rule routes to `queue` (by its name or a tag:queue:<name> query)."""
    for table in queues:
        name = str(table.get("name", "")).casefold()
        query = str(table.get("query", "")).casefold()
        if name == queue.casefold() or f"queue:{queue.casefold()}" in query:
            return True
    return False


def _check_rules(
    playbook: PlaybookFile,
    report: CheckReport,
    networks: Collection[str] | None,
    agents: Collection[str] | None,
) -> None:
    source = playbook.source
    raw_rules = playbook.section("rule", [])
    if not isinstance(raw_rules, list):
        report.errors.append(f"{source}: rules must be written as [[rule]] tables")
        return
    macros = macro_names(playbook)
    zone, roles = rule_context(playbook)
    raw_queues = playbook.section("queue")
    queues = [q for q in raw_queues if isinstance(q, dict)] if isinstance(raw_queues, list) else []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        try:
            rule = parse_rule(raw, index, source, macros, zone=zone, roles=roles)
        except UserError as exc:
            report.errors.append(str(exc))
            continue
        label = f"{source}: rule {rule.name!r}"
        if rule.name in seen:
            report.errors.append(f"{source}: two rules are named {rule.name!r}")
        seen.add(rule.name)
        if "name" not in raw:
            report.warnings.append(f"{source}: rule {index + 1} has no name (reports call it {rule.name!r})")
        if not any(key in raw for key in CONDITION_KEYS):
            report.warnings.append(f"{label} has no conditions: it matches every post")
        queue = raw.get("queue")
        if isinstance(queue, str) and queues and not _routed_queue_shown(queue, queues):
            report.warnings.append(
                f"{label} routes to queue {queue!r}, but no [[queue]] shows it "
                f"(name it {queue!r} or query tag:queue:{queue})"
            )
        for network in sorted(rule.networks or ()):
            if networks is not None and network not in networks:
                known = ", ".join(sorted(networks))
                report.warnings.append(
                    f"{label}: network {network!r} is not a connector nor a network in the cache"
                    f"{_did_you_mean(network, networks)} (known: {known})"
                )
        for lang in sorted(named_languages([rule]) - known_codes()):
            report.warnings.append(
                f"{label}: lang {lang!r} cannot be detected in posts the network sends without a "
                f"language, so only posts labelled {lang!r} match"
            )
        for audience in rule.notify:
            if audience != "desk" and agents is not None and audience not in agents:
                report.warnings.append(
                    f"{label} notifies {audience!r}, who is not a known agent"
                    f'{_did_you_mean(audience, agents)} ("desk" tells everyone at the desk)'
                )
        if rule.assign and agents is not None and rule.assign not in agents:
            report.warnings.append(
                f"{label} assigns to {rule.assign!r}, who is not a known agent"
                f"{_did_you_mean(rule.assign, agents)}"
            )


def check_playbook(
    playbook: PlaybookFile,
    *,
    networks: Collection[str] | None = None,
    agents: Collection[str] | None = None,
) -> CheckReport:
    """Validate every section of a loaded playbook.

    Args:
        playbook: the file's sections.
        networks: the networks a rule may name (connectors and the cache's); None: not checked.
        agents: the agents a rule may assign to; None: not checked.
    """
    from socialdesk.services.macros import parse_macros
    from socialdesk.services.queue import load_queues

    report = CheckReport(playbook.source)
    _collect(report, lambda: parse_macros(playbook))
    _collect(report, lambda: load_queues(playbook))
    vip = _collect(report, lambda: parse_vip(playbook.section("vip"), playbook.source)) or {}
    for handle in sorted(vip.get("mastodon", ())):
        if "@" not in handle:
            report.warnings.append(
                f"{playbook.source}: vip.mastodon: '@{handle}' has no server, so it matches nobody: "
                f"Mastodon authors are @user@server (write '@{handle}@your.server')"
            )
    _collect(report, lambda: parse_intent_section(playbook.section("intent"), playbook.source))
    _collect(report, lambda: parse_sla(playbook.section("sla"), playbook.source))
    _collect(report, lambda: parse_escalation(playbook.section("escalation"), playbook.source))
    _check_rules(playbook, report, networks, agents)
    _check_automations(playbook, report, agents)
    return report


def _check_automations(playbook: PlaybookFile, report: CheckReport, agents: Collection[str] | None) -> None:
    from socialdesk.services.automations import parse_automation

    source = playbook.source
    raw = playbook.section("automation", [])
    if not isinstance(raw, list):
        report.errors.append(f"{source}: automations must be written as [[automation]] tables")
        return
    _, roles = rule_context(playbook)
    seen: set[str] = set()
    for index, table in enumerate(raw):
        try:
            automation = parse_automation(table, index, source, roles)
        except UserError as exc:
            report.errors.append(str(exc))
            continue
        if automation.name in seen:
            report.errors.append(f"{source}: two automations are named {automation.name!r}")
        seen.add(automation.name)
        for audience in automation.notify:
            if audience != "desk" and agents is not None and audience not in agents:
                report.warnings.append(
                    f"{source}: automation {automation.name!r} notifies {audience!r}, who is not a known "
                    f'agent{_did_you_mean(audience, agents)} ("desk" tells everyone at the desk)'
                )
