"""Validates the playbook's `[[rule]]` and `[vip]` sections into `Rule`s and VIP handle sets.

A rule is a table of conditions (all must hold; a list means "any of") and actions::

    [[rule]]
    name = "outage wave"
    keywords = ["outage", "is down", "down again"]   # whole words/phrases on the shadow text
    intent = "complaint"
    tag = ["outage"]
    priority = 3                                     # 0 low, 1 normal, 2 high, 3 urgent
    queue = "outages"                                # stored as tag queue:outages
    suggest = "outage-ack"                           # stored as tag suggest:outage-ack
    assign = "dana"                                  # stored as tag assign:dana
    actionable = true
    stop = false                                     # true: later rules are not evaluated

More conditions: `kind` (mention, reply, dm, search, feed), `time = "18:00-08:00"` (the post's time of
day in the playbook's [sla.hours] time zone, else UTC), `any = [{...}, {...}]` (at least one group's
conditions all hold) and `not = {...}` (that group must not hold); groups hold conditions on the post
and its text, never the author's. More actions: `status` (new, open, pending, resolved) and
`escalate = "<role>"` (one of [escalation]'s: status escalated, tag escalated:<role>) and
`notify = "desk"` (a notice with a bell for everyone at the desk; or agents' names: only them).

Priority is the highest any matching rule sets (normal when none sets one); `actionable` is the
last matching rule's say (the classifier's otherwise).
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from socialdesk.errors import UserError
from socialdesk.sanitize import shadow
from socialdesk.services.intents import INTENTS
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rule_match import UTC, WORD, Rule, TimeOfDay
from socialdesk.services.sentiment import SENTIMENT_LABELS

_LIST_KEYS = (
    "network",
    "account",
    "keywords",
    "regex",
    "lang",
    "sentiment",
    "intent",
    "kind",
    "tag",
    "notify",
)
_STR_KEYS = ("name", "queue", "suggest", "assign", "time", "status", "escalate")
_INT_KEYS = ("followers_min", "followers_max", "priority")
_BOOL_KEYS = ("repeat_customer", "vip", "actionable", "stop")
_GROUP_KEYS = ("any", "not")
RULE_KEYS = (*_STR_KEYS, *_LIST_KEYS, *_INT_KEYS, *_BOOL_KEYS, *_GROUP_KEYS)
KINDS = ("mention", "reply", "dm", "search", "feed")
# The statuses a rule may start a post in (snoozing needs a time; escalating is `escalate`).
RULE_STATUSES = ("new", "open", "pending", "resolved")
_ACTION_KEYS = (
    "name",
    "tag",
    "queue",
    "suggest",
    "assign",
    "priority",
    "actionable",
    "stop",
    "status",
    "escalate",
    "notify",
)
_AUTHOR_KEYS = ("repeat_customer", "vip")
_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# The keys that are conditions (a rule with none of them matches every post).
CONDITION_KEYS = (
    "network",
    "account",
    "keywords",
    "regex",
    "lang",
    "sentiment",
    "intent",
    "followers_min",
    "followers_max",
    "repeat_customer",
    "vip",
    "kind",
    "time",
    "any",
    "not",
)
_NAME_RE = re.compile(r"^[\w.-]+$")
# BCP 47 as networks send it: a 2-3 letter ISO 639 code, optionally a region or script ("pt-BR").
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")


def handle_key(handle: str) -> str:
    """A handle as VIP lists compare it: no leading @, casefolded."""
    return handle.strip().lstrip("@").casefold()


def _strings(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserError(f"{where} must be a string or a list of strings, got {value!r}")


def _time_of_day(value: str, where: str, zone: ZoneInfo) -> TimeOfDay:
    match = _TIME_RE.match(value)
    if match is None:
        raise UserError(f'{where} must be a daily window like "18:00-08:00", got {value!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise UserError(f"{where}: {value!r} is not a time of day")
    return TimeOfDay(h1 * 60 + m1, h2 * 60 + m2, zone)


def _group(raw: object, where: str, source: str, zone: ZoneInfo) -> Rule:
    """One `any`/`not` group: conditions on the post and its text only."""
    if not isinstance(raw, dict) or not raw:
        raise UserError(f'{where} must be a table of conditions, e.g. {{ kind = "dm" }}')
    for key in raw:
        if key in _ACTION_KEYS or key in _AUTHOR_KEYS:
            raise UserError(
                f"{where}: {key!r} cannot be in a group (conditions on the post and its text only)"
            )
    return parse_rule({**raw, "name": where}, 0, source, zone=zone)


def parse_rule(
    raw: object,
    index: int,
    source: str,
    macros: set[str] | None = None,
    *,
    zone: ZoneInfo = UTC,
    roles: tuple[str, ...] | None = None,
) -> Rule:
    """Validate one `[[rule]]` table.

    Args:
        raw: the table.
        index: its position (names a rule without a name).
        source: the playbook file, for messages.
        macros: the playbook's macro names (`suggest` must name one), None: not checked.
        zone: the time zone `time` windows are read in (the playbook's [sla.hours]).
        roles: the roles `escalate` may name ([escalation]), None: not checked.

    Raises:
        UserError: naming the file and the rule for unknown keys, wrong types or bad values.
    """
    if not isinstance(raw, dict):
        raise UserError(f"{source}: rule[{index}] must be a table")
    name = raw.get("name", f"rule {index + 1}")
    label = f"{source}: rule {name!r}"
    if not isinstance(name, str) or not name.strip():
        raise UserError(f"{source}: rule[{index}].name must be a non-empty string")
    kwargs: dict[str, Any] = {"name": name}
    tags: list[str] = []
    for key, value in raw.items():
        where = f"{label}: {key}"
        if key not in RULE_KEYS:
            raise UserError(f"{label}: unknown key {key!r} (known: {', '.join(RULE_KEYS)})")
        if key in _STR_KEYS and not isinstance(value, str):
            raise UserError(f"{where} must be a string, got {value!r}")
        if key in _INT_KEYS and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise UserError(f"{where} must be a whole number >= 0, got {value!r}")
        if key in _BOOL_KEYS and not isinstance(value, bool):
            raise UserError(f"{where} must be true or false, got {value!r}")
        if key == "name":
            continue
        if key in ("network", "account", "lang", "sentiment", "intent", "kind"):
            values = _strings(value, where)
            allowed = {"sentiment": SENTIMENT_LABELS, "intent": INTENTS, "kind": KINDS}.get(key)
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise UserError(f"{where}: unknown value {bad[0]!r} (known: {', '.join(allowed or ())})")
            bad_lang = next((v for v in values if key == "lang" and not _LANG_RE.match(v.casefold())), None)
            if bad_lang is not None:
                raise UserError(f"{where}: {bad_lang!r} is not a language code (ISO 639: en, es, pt-BR ...)")
            field_name = {
                "network": "networks",
                "account": "accounts",
                "lang": "langs",
                "sentiment": "sentiments",
                "intent": "intents",
                "kind": "kinds",
            }[key]
            kwargs[field_name] = frozenset(v.casefold() if key == "lang" else v for v in values)
        elif key == "keywords":
            words = [shadow(k) for k in _strings(value, where) if k.strip()]
            if not words:
                raise UserError(f"{where} must name at least one keyword")
            kwargs["pattern"] = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)")
            firsts = [WORD.match(w) for w in words]
            if all(firsts):
                kwargs["first_words"] = frozenset(m.group(0) for m in firsts if m)
        elif key == "regex":
            exprs = _strings(value, where)
            for expr in exprs:  # one at a time: the error quotes the expression, not the combination
                try:
                    re.compile(expr)
                except re.error as exc:
                    raise UserError(f"{where}: {expr!r} is not a valid regular expression: {exc}") from None
            kwargs["regex"] = re.compile("|".join(f"(?:{e})" for e in exprs))
        elif key == "tag":
            tags += _strings(value, where)
        elif key == "time":
            kwargs["time_of_day"] = _time_of_day(value, where, zone)
        elif key == "any":
            if not isinstance(value, list) or not value:
                raise UserError(f"{where} must be a list of condition tables (at least one must hold)")
            kwargs["any_of"] = tuple(
                _group(g, f"{label}: any[{i}]", source, zone) for i, g in enumerate(value)
            )
        elif key == "not":
            kwargs["none_of"] = _group(value, f"{label}: not", source, zone)
        elif key == "status":
            if value not in RULE_STATUSES:
                raise UserError(f"{where}: unknown status {value!r} (known: {', '.join(RULE_STATUSES)})")
            kwargs["status"] = value
        elif key == "notify":
            kwargs["notify"] = parse_audience(value, where)
        elif key == "escalate":
            if roles is not None and value not in roles:
                raise UserError(f"{where}: {value!r} is not an [escalation] role (roles: {', '.join(roles)})")
            kwargs["escalate"] = value
        elif key == "priority":
            if value > 3:
                raise UserError(f"{where} must be 0 (low) to 3 (urgent), got {value}")
            kwargs["priority"] = value
        elif key in ("queue", "suggest", "assign"):
            if not _NAME_RE.match(value):
                raise UserError(f"{where} must be a single word (letters, digits, . _ -), got {value!r}")
            if key == "suggest" and macros is not None and value not in macros:
                raise UserError(f"{where}: no [[macro]] named {value!r} in the playbook")
            tags.append(f"{key}:{value}")
            if key == "assign":
                kwargs["assign"] = value
        else:
            kwargs[key] = value
    bad_tag = next((t for t in tags if not t.strip() or any(c.isspace() for c in t)), None)
    if bad_tag is not None:
        raise UserError(f"{label}: tag {bad_tag!r} must be one word without spaces")
    low, high = kwargs.get("followers_min"), kwargs.get("followers_max")
    if low is not None and high is not None and low > high:
        raise UserError(f"{label}: followers_min {low} is above followers_max {high}: it can never match")
    kwargs["tags"] = tuple(dict.fromkeys(tags))
    return Rule(**kwargs)


def parse_audience(value: object, where: str) -> tuple[str, ...]:
    """Who a `notify` action tells: "desk" (everyone at the desk) and/or agents' names.

    Raises:
        UserError: not a word or a list of words.
    """
    names = _strings(value, where)
    bad = next((n for n in names if not _NAME_RE.match(n)), None)
    if bad is not None or not names:
        raise UserError(f'{where} must be "desk" (everyone at the desk) or agents\' names, got {value!r}')
    return tuple(dict.fromkeys(names))


def parse_vip(section: object, source: str) -> dict[str, frozenset[str]]:
    """Validate `[vip]`: network name (or "any") = list of handles.

    Raises:
        UserError: naming the file and key.
    """
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UserError(f"{source}: [vip] must be a table of network = [handles]")
    return {
        network: frozenset(handle_key(h) for h in _strings(handles, f"{source}: vip.{network}"))
        for network, handles in section.items()
    }


def macro_names(playbook: PlaybookFile) -> set[str] | None:
    macros = playbook.section("macro")
    if not isinstance(macros, list):
        return None
    names = {m.get("name") for m in macros if isinstance(m, dict)}
    names.discard(None)
    # Only check suggestions when every macro is named (the macro section's own schema decides).
    return {str(n) for n in names} if names and len(names) == len(macros) else None


def parse_rules(playbook: PlaybookFile) -> list[Rule]:
    """Validate every `[[rule]]` of a playbook, in order.

    Raises:
        UserError: the first bad rule, or two rules with the same name.
    """
    raw_rules = playbook.section("rule", [])
    if not isinstance(raw_rules, list):
        raise UserError(f"{playbook.source}: rules must be written as [[rule]] tables")
    macros = macro_names(playbook)
    zone, roles = rule_context(playbook)
    rules = [
        parse_rule(r, i, playbook.source, macros, zone=zone, roles=roles) for i, r in enumerate(raw_rules)
    ]
    names = [r.name for r in rules]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise UserError(f"{playbook.source}: two rules are named {dup!r}")
    return rules


def rule_context(playbook: PlaybookFile) -> tuple[ZoneInfo, tuple[str, ...] | None]:
    """The time zone rules' `time` windows are read in ([sla.hours], else UTC) and the [escalation] roles.

    A broken [sla] or [escalation] section is reported by its own parser; here it only means UTC and
    no check of the roles.
    """
    from socialdesk.services.sla_policy import parse_escalation

    sla = playbook.section("sla")
    hours = sla.get("hours") if isinstance(sla, dict) else None
    zone = UTC
    if isinstance(hours, dict) and isinstance(hours.get("timezone"), str):
        try:
            zone = ZoneInfo(hours["timezone"])
        except (KeyError, ValueError):
            zone = UTC
    try:
        roles: tuple[str, ...] | None = parse_escalation(playbook.section("escalation"), playbook.source)
    except UserError:
        roles = None
    return zone, roles
