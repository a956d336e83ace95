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

Priority is the highest any matching rule sets (normal when none sets one); `actionable` is the
last matching rule's say (the classifier's otherwise).
"""

from __future__ import annotations

import re
from typing import Any

from socialdesk.errors import UserError
from socialdesk.sanitize import shadow
from socialdesk.services.classify import INTENTS, SENTIMENT_LABELS
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rule_match import WORD, Rule

_LIST_KEYS = ("network", "account", "keywords", "regex", "lang", "sentiment", "intent", "tag")
_STR_KEYS = ("name", "queue", "suggest", "assign")
_INT_KEYS = ("followers_min", "followers_max", "priority")
_BOOL_KEYS = ("repeat_customer", "vip", "actionable", "stop")
RULE_KEYS = (*_STR_KEYS, *_LIST_KEYS, *_INT_KEYS, *_BOOL_KEYS)
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
)
_NAME_RE = re.compile(r"^[\w.-]+$")
# BCP 47 as networks send it: a 2-3 letter ISO 639 code, optionally a region or script ("pt-BR").
_LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")


def handle_key(handle: str) -> str:
    """A handle as VIP lists compare it: no leading @, casefolded."""
    return handle.strip().lstrip("@").casefold()


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserError(f"{where} must be a string or a list of strings, got {value!r}")


def parse_rule(raw: Any, index: int, source: str, macros: set[str] | None = None) -> Rule:
    """Validate one `[[rule]]` table.

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
        if key in ("network", "account", "lang", "sentiment", "intent"):
            values = _strings(value, where)
            allowed = {"sentiment": SENTIMENT_LABELS, "intent": INTENTS}.get(key)
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


def parse_vip(section: Any, source: str) -> dict[str, frozenset[str]]:
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
    rules = [parse_rule(r, i, playbook.source, macros) for i, r in enumerate(raw_rules)]
    names = [r.name for r in rules]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise UserError(f"{playbook.source}: two rules are named {dup!r}")
    return rules
