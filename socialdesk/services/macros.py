"""Canned replies from the playbook's `[[macro]]` tables: strict parsing, fuzzy search, variable filling.

A macro's text may use {customer.name}, {customer.handle}, {agent.name}, {post.url},
{conversation.id} (what a survey link carries back: `socialdesk import --survey`), {ticket} (the
conversation's ticket number, T-1042, that the customer can quote back) and prompts such as
{prompt:Order number} that the agent fills in; `{{` and `}}` are literal braces.
The `[dm_template]` table holds the two texts of "take it private": `dm` and `public`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import msgspec

from socialdesk.errors import UserError
from socialdesk.models import Agent, PostRow
from socialdesk.sanitize import clean
from socialdesk.services.playbook import PlaybookFile, load_playbook

VARIABLES = ("customer.name", "customer.handle", "agent.name", "post.url", "conversation.id", "ticket")
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_KEYS = {
    "name": "a unique short name",
    "key": "a one-key shortcut",
    "text": "the reply",
    "description": "a hint",
}
DEFAULT_DM = "Hi {customer.name}, this is {agent.name} from the support team. How can we help?"
MIN_SCORE = 60.0  # of 100: below this a macro does not match the query at all
DEFAULT_PUBLIC = "We've sent you a DM so we can look into this privately."


class Macro(msgspec.Struct, frozen=True):
    """One canned reply.

    Attributes:
        name: unique short name ("apology").
        text: the template.
        key: an optional one-key shortcut in the picker.
        description: what it is for.
        prompts: labels of the {prompt:...} fields, in order of first use.
    """

    name: str
    text: str
    key: str = ""
    description: str = ""
    prompts: tuple[str, ...] = ()


class Macros(msgspec.Struct):
    """Every macro of a playbook plus the DM hand-off template."""

    items: list[Macro] = msgspec.field(default_factory=list)
    dm_text: str = DEFAULT_DM
    public_text: str = DEFAULT_PUBLIC
    source: str = ""

    def get(self, name: str) -> Macro:
        """The macro called `name` (case-insensitive).

        Raises:
            UserError: no such macro (the message lists them).
        """
        for macro in self.items:
            if macro.name.lower() == name.lower():
                return macro
        names = ", ".join(m.name for m in self.items) or "none"
        raise UserError(f"no macro named {name!r} in {self.source} (macros: {names})")

    def search(self, query: str, limit: int = 20, first: str = "") -> list[Macro]:
        """Macros best matching `query` (fuzzy over name, description and text); all when empty.

        Args:
            query: what the agent typed.
            limit: at most this many.
            first: the macro a rule suggested for the post: listed first while nothing is typed.
        """
        query = query.strip()
        if not query:
            suggested = [m for m in self.items if m.name.lower() == first.lower()]
            return (suggested + [m for m in self.items if m not in suggested])[:limit]
        from rapidfuzz import fuzz, process, utils

        # partial_ratio: the query is usually a fragment ("sory", "outage") of a longer label.
        names = {i: f"{m.name} {m.description}" for i, m in enumerate(self.items)}
        texts = {i: m.text for i, m in enumerate(self.items)}
        scored: dict[int, float] = {}
        for pool, weight in ((names, 1.0), (texts, 0.9)):
            for _, score, index in process.extract(
                query, pool, scorer=fuzz.partial_ratio, processor=utils.default_process, limit=None
            ):
                scored[index] = max(scored.get(index, 0.0), score * weight)
        ranked = sorted((i for i, s in scored.items() if s >= MIN_SCORE), key=lambda i: (-scored[i], i))
        return [self.items[i] for i in ranked[:limit]]


def parse_template(text: str, where: str) -> tuple[str, ...]:
    """Check a template's fields; return its prompt labels.

    Raises:
        UserError: an unknown variable, an empty prompt or a lone brace (naming `where`).
    """
    prompts: list[str] = []
    for match in _FIELD.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            raise UserError(f"{where}: lone {token!r} in text (write {token * 2} for a literal brace)")
        name = name.strip()
        if name.startswith("prompt:"):
            label = name[len("prompt:") :].strip()
            if not label:
                raise UserError(f"{where}: {{prompt:}} needs a label, e.g. {{prompt:Order number}}")
            if label not in prompts:
                prompts.append(label)
        elif name not in VARIABLES:
            known = ", ".join(f"{{{v}}}" for v in VARIABLES)
            raise UserError(f"{where}: unknown variable {{{name}}} (known: {known}, {{prompt:Label}})")
    return tuple(prompts)


def fill(template: str, values: Mapping[str, str], prompts: Mapping[str, str] | None = None) -> str:
    """Fill a template's variables and prompts (values are sanitised to one line each).

    Args:
        template: a validated template.
        values: "customer.name" -> value ... (missing ones become "").
        prompts: prompt label -> what the agent typed.
    """
    prompts = prompts or {}

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = (match.group(1) or "").strip()
        if name.startswith("prompt:"):
            return clean(prompts.get(name[len("prompt:") :].strip(), ""), single_line=True)
        return clean(values.get(name, ""), single_line=True)

    return _FIELD.sub(replace, template)


def fill_prompts(template: str, prompts: Mapping[str, str]) -> str:
    """Fill only a template's prompts, keeping its variables for `fill` (one reply to many posts).

    The answers' own braces are doubled, so the later `fill` shows them and never reads them as fields.
    """

    def replace(match: re.Match[str]) -> str:
        name = (match.group(1) or "").strip()
        if not name.startswith("prompt:"):
            return match.group(0)
        answer = clean(prompts.get(name[len("prompt:") :].strip(), ""), single_line=True)
        return answer.replace("{", "{{").replace("}", "}}")

    return _FIELD.sub(replace, template)


def values_for(post: PostRow | None, agent: Agent, ticket: str = "") -> dict[str, str]:
    """The variables a macro can use, for a reply to `post` by `agent` (`ticket`: its conversation's)."""
    values = {"agent.name": agent.name, "customer.name": "", "customer.handle": "", "post.url": "",
              "conversation.id": "", "ticket": ticket}  # fmt: skip
    if post is not None:
        # The cache's id of the post answered: a plain number, safe in any URL, that survey answers
        # are matched back to (native ids such as at:// URIs are neither).
        values["conversation.id"] = str(post.id)
        handle = post.author_handle.lstrip("@")
        values["customer.name"] = post.author_name or handle
        values["customer.handle"] = f"@{handle}" if handle else ""
        values["post.url"] = post.url
    return values


def parse_macros(playbook: PlaybookFile) -> Macros:
    """Read and validate the `[[macro]]` tables and `[dm_template]` of a playbook.

    Raises:
        UserError: naming the file and the macro for any problem.
    """
    source = playbook.source
    raw = playbook.section("macro", [])
    if not isinstance(raw, list):
        raise UserError(f"{source}: macros must be written as [[macro]] tables")
    macros = Macros(source=source)
    seen: set[str] = set()
    keys: set[str] = set()
    for index, table in enumerate(raw):
        label = f"{source}: macro #{index + 1}"
        if not isinstance(table, dict):
            raise UserError(f"{label} must be a table")
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{label}: name must be a non-empty string")
        label = f"{source}: macro {name!r}"
        for key, value in table.items():
            if key not in _KEYS:
                raise UserError(f"{label}: unknown key {key!r} (known: {', '.join(_KEYS)})")
            if not isinstance(value, str):
                raise UserError(f"{label}: {key} must be a string, got {value!r}")
        text = table.get("text", "")
        if not text.strip():
            raise UserError(f"{label}: text must not be empty")
        if name.lower() in seen:
            raise UserError(f"{label}: the name is used twice")
        key = table.get("key", "")
        if len(key) > 1:
            raise UserError(f"{label}: key must be a single character, got {key!r}")
        if key and key in keys:
            raise UserError(f"{label}: key {key!r} is used twice")
        seen.add(name.lower())
        keys.add(key)
        prompts = parse_template(text, label)
        macros.items.append(Macro(name.strip(), text, key, table.get("description", ""), prompts))
    template = playbook.section("dm_template", {})
    if not isinstance(template, dict):
        raise UserError(f"{source}: [dm_template] must be a table")
    for key, value in template.items():
        if key not in ("dm", "public"):
            raise UserError(f"{source}: dm_template: unknown key {key!r} (known: dm, public)")
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{source}: dm_template.{key} must be a non-empty string")
        parse_template(value, f"{source}: dm_template.{key}")
    macros.dm_text = template.get("dm", DEFAULT_DM)
    macros.public_text = template.get("public", DEFAULT_PUBLIC)
    return macros


def load_macros(path: str | Path | None) -> Macros:
    """The macros of the playbook at `path` (None or "": the bundled sample)."""
    return parse_macros(load_playbook(path))
