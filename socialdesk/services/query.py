"""The search query language (`refund from:@sam tag:vip after:7d -spam`) compiled to a PostFilter.

Grammar: whitespace-separated terms, all of which must hold; each is free text, a "quoted phrase",
or `field:value` (values may be quoted, and comma-separated for "any of"); a leading `-` negates a
term. `OR` (capitals) between two terms lets either hold; `AND` (capitals) between two terms says
what the space already says. Anywhere else they are words.

Fields: from, network, tag, status, sentiment, intent, priority, assigned (a name, `me`, `none`),
before/after (2026-11-20, 2026-11-20T14:30, or relative 30m/24h/7d/2w), is (open, actionable,
unassigned, overdue, mine, ours), ticket (T-1042 or 1042; a bare T-1042 too), email and order (the
fields kept on a customer). Free text goes to FTS5 with every term quoted, so FTS syntax in
user input is literal text and cannot error or inject.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import msgspec

from socialdesk.errors import UserError
from socialdesk.models import Status
from socialdesk.sanitize import clean
from socialdesk.store import tag_tally
from socialdesk.store.queries import PostFilter
from socialdesk.store.vocabulary import Vocabulary

FIELDS = (
    "from",
    "network",
    "tag",
    "status",
    "sentiment",
    "intent",
    "priority",
    "assigned",
    "before",
    "after",
    "is",
    "ticket",
    "email",
    "order",
)
# A value bound to a `?` of the SQL a query becomes (handles and words, times, counts).
SqlValue = str | int | float
IS_VALUES = ("open", "actionable", "unassigned", "overdue", "mine", "ours")
_TOKEN = re.compile(r'\s*(-)?(?:([A-Za-z_]+):)?("(?:[^"]*)"?|[^\s"]+)')
_RELATIVE = re.compile(r"^(\d{1,6})(m|h|d|w)$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# FTS5's unicode61 tokenizer keeps letters and digits; a term with neither matches nothing.
_WORDY = re.compile(r"\w")
_TICKET = re.compile(r"^T-\d{1,12}$", re.IGNORECASE)  # "T-1042" alone is a ticket, not words


class QueryError(UserError):
    """A query the parser cannot understand; the message says what and where, for inline display."""


class Term(msgspec.Struct, frozen=True):
    """One parsed term of a query."""

    negated: bool
    field: str  # "" for free text
    value: str
    quoted: bool


# A dialect's compiler of one field term (agent, now as given to the query): (SQL condition, values).
ClauseFn = Callable[[Term, str, float], tuple[str, list[SqlValue]]]


def tokenize(text: str) -> list[Term]:
    """Split a query into terms.

    Raises:
        QueryError: an unterminated quote or an empty field value.
    """
    terms: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"cannot read the query at {text[pos : pos + 20]!r}")
        negated, name, raw = m.group(1) is not None, (m.group(2) or "").casefold(), m.group(3)
        if not name and raw.endswith(":") and raw[:-1].casefold() in FIELDS:
            raise QueryError(f"{raw} needs a value (no space after the colon)")
        if name and raw.startswith("//"):  # a pasted URL (https://...) is text, not a field
            name, raw = "", f"{m.group(2)}:{raw}"
        quoted = raw.startswith('"')
        if quoted:
            if len(raw) < 2 or not raw.endswith('"'):
                raise QueryError(f"unterminated quote starting at {raw[:20]!r}")
            raw = raw[1:-1]
        if name and name not in FIELDS:
            raise QueryError(f"unknown field {name + ':'!r} (known: {', '.join(f + ':' for f in FIELDS)})")
        if name and not raw.strip():
            raise QueryError(f"{name}: needs a value")
        terms.append(Term(negated, name, raw, quoted))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return terms


def _fts_phrase(text: str) -> str:
    # Double quotes inside an FTS5 string are escaped by doubling; everything else is literal.
    return '"' + text.replace('"', '""') + '"'


def parse_time(value: str, now: float, field: str) -> float:
    """A `before:`/`after:` value as unix seconds (dates in local time; relative values back from now)."""
    m = _RELATIVE.match(value.casefold())
    if m:
        return now - int(m.group(1)) * _UNITS[m.group(2)]
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise QueryError(
            f"{field}: wants a date like 2026-11-20 or a span like 7d, 24h, 30m, 2w; got {value!r}"
        ) from None


def _values(term: Term) -> list[str]:
    values = [v.strip() for v in term.value.split(",")] if not term.quoted else [term.value]
    if not all(values):
        raise QueryError(f"{term.field}: has an empty value in {term.value!r}")
    return values


def _check(field: str, values: list[str], allowed: tuple[str, ...]) -> list[str]:
    lowered = [v.casefold() for v in values]
    bad = [v for v in lowered if v not in allowed]
    if bad:
        raise QueryError(f"{field}: unknown value {bad[0]!r} (known: {', '.join(allowed)})")
    return lowered


def _in(column: str, values: Sequence[SqlValue]) -> tuple[str, list[SqlValue]]:
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


def _spelled(field: str, values: list[str], known: set[str], fixed: tuple[str, ...] = ()) -> list[str]:
    """Each value as the cache spells it (any case typed); one it does not hold is a QueryError."""
    spelling = {k.casefold(): k for k in known}
    for value in values:
        if value.casefold() not in spelling and value.casefold() not in fixed:
            shown = ", ".join([*fixed, *sorted(known, key=str.casefold)][:20])
            raise QueryError(f"{field}: unknown value {value.casefold()!r} (known: {shown})")
    return [spelling.get(v.casefold(), v) for v in values]


def _clause(term: Term, agent: str, now: float, known: Vocabulary | None) -> tuple[str, list[SqlValue]]:
    """The SQL condition (alias `p`) of one field term."""
    name = term.field
    values = _values(term)
    if known is not None and name == "network":
        from socialdesk.capabilities import network_names

        values = _spelled(name, values, set(known.networks) | network_names())
    if known is not None and name == "assigned":
        values = _spelled(name, values, set(known.assignees) | ({agent} - {""}), ("me", "none"))
    parts: list[str] = []
    params: list[SqlValue] = []
    if name == "from":
        for v in values:
            handle = v.lstrip("@")
            if not handle:
                raise QueryError("from: needs a handle after the @ (from:@sam)")
            like = handle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(
                "(LTRIM(p.author_handle, '@') = ? COLLATE NOCASE "
                "OR LTRIM(p.author_handle, '@') LIKE ? ESCAPE '\\')"
            )
            params += [handle, like + "@%"]
        return " OR ".join(parts), params
    if name == "network":
        return _in("p.network", [v.casefold() for v in values])
    if name == "tag":
        return tag_tally.tagged(len(values)), list(values)
    if name == "status":
        statuses = _check(name, values, tuple(s.value for s in Status))
        # A closed conversation is a resolved one that stayed quiet: status:resolved still finds it.
        if Status.RESOLVED in statuses and Status.CLOSED not in statuses:
            statuses = [*statuses, Status.CLOSED.value]
        return _in("p.status", statuses)
    if name == "sentiment":
        from socialdesk.services.sentiment import SENTIMENT_LABELS

        return _in("p.sentiment_label", _check(name, values, SENTIMENT_LABELS))
    if name == "intent":
        from socialdesk.services.intents import INTENTS

        return _in("p.intent", _check(name, values, INTENTS))
    if name == "priority":
        # The rules engine (its pattern tables, a process pool) is imported only for this field.
        from socialdesk.services.rules import PRIORITY_NAMES

        numbers = [
            str(PRIORITY_NAMES.index(v)) if v in PRIORITY_NAMES else v for v in (x.casefold() for x in values)
        ]
        return _in("p.priority", [int(v) for v in _check(name, numbers, ("0", "1", "2", "3"))])
    if name == "assigned":
        names = ["" if v.casefold() == "none" else agent if v.casefold() == "me" else v for v in values]
        return _in("p.assigned_to", names)
    if name == "ticket":
        clauses = [_ticket_clause(v) for v in values]
        return " OR ".join(f"({c})" for c, _ in clauses), [p for _, ps in clauses for p in ps]
    if name in ("email", "order"):
        # Fields agents keep on a customer (the profile, `i`): every post of the customers who match.
        marks = ",".join("?" * len(values))
        return (
            "p.customer_id IN (SELECT customer_id FROM customer_fields"
            f" WHERE name = ? AND value COLLATE NOCASE IN ({marks}))",
            [name, *values],
        )
    if name in ("before", "after"):
        if len(values) != 1:
            raise QueryError(f"{name}: takes one date")
        at = parse_time(values[0], now, name)
        return ("p.created_at < ?" if name == "before" else "p.created_at >= ?"), [at]
    # is:
    for v in _check(name, values, IS_VALUES):
        if v == "open":
            parts.append("p.status IN ('new', 'open') AND p.is_ours = 0")
        elif v == "actionable":
            parts.append("p.actionable = 1 AND p.is_ours = 0")
        elif v == "unassigned":
            parts.append("p.assigned_to = ''")
        elif v == "mine":
            parts.append("p.assigned_to = ?")
            params.append(agent)
        elif v == "ours":
            parts.append("p.is_ours = 1")
        else:  # overdue
            parts.append(
                "p.due_at < ? AND p.first_response_at IS NULL "
                "AND p.status NOT IN ('resolved', 'snoozed', 'closed')"
            )
            params.append(now)
    return " OR ".join(f"({p})" for p in parts), params


def _ticket_clause(value: str) -> tuple[str, list[SqlValue]]:
    from socialdesk.store import tickets

    number = tickets.parse_label(value)
    if number is None:
        raise QueryError(f"ticket: wants a ticket number like T-1042 or 1042; got {value!r}")
    sql, params = tickets.search_clause(number)
    return sql, list(params)


def _groups(terms: list[Term]) -> list[list[Term]]:
    """The terms in groups that must all hold; the terms of one group are joined by OR."""
    groups: list[list[Term]] = []
    joins = after_operator = False
    for index, term in enumerate(terms):
        operator = not term.field and not term.quoted and not term.negated and term.value in ("AND", "OR")
        if operator and len(terms) > 1:  # alone, "OR" is a word
            if index in (0, len(terms) - 1) or after_operator:
                raise QueryError(f"{term.value} needs a term on each side (refund OR return)")
            joins = term.value == "OR"  # AND says what the space already says
            after_operator = True
            continue
        if joins:
            groups[-1].append(term)
        else:
            groups.append([term])
        joins = after_operator = False
    return groups


def _text_condition(term: Term) -> tuple[str, list[SqlValue]]:
    """A free-text term as an SQL condition, for an OR group that mixes it with fields."""
    sql = "p.id IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)"
    return (f"NOT ({sql})" if term.negated else sql), [_fts_phrase(term.value)]


def compile_terms(
    text: str,
    agent: str,
    now: float,
    clause: ClauseFn,
    text_condition: Callable[[Term], tuple[str, list[SqlValue]]],
) -> tuple[list[str], list[SqlValue], list[list[Term]]]:
    """Parse a query and compile its terms with a dialect's SQL (the cache's SQLite, the team's PostgreSQL).

    Args:
        clause: a field term's condition (a negated one is wrapped in NOT here).
        text_condition: a free-text term's condition where it cannot be searched with the others
            (negated, or in an OR group with fields).

    Returns:
        The conditions that must all hold, their parameters, and the plain text to search: groups
        of terms, each group one of whose terms must match.

    Raises:
        QueryError: with a message fit to show inline under the search box.
    """
    if len(text) > 2000:
        raise QueryError("query is too long (2000 characters at most)")
    # Control characters (NUL ends an FTS5 string early) and escapes are never meant in a query.
    text = clean(text, single_line=True)
    where: list[str] = []
    params: list[SqlValue] = []
    searches: list[list[Term]] = []
    terms = [
        Term(t.negated, "ticket", t.value, False)  # a bare ticket number
        if not t.field and not t.quoted and _TICKET.match(t.value)
        else t
        for t in tokenize(text)
    ]
    searched = False  # a term that selects something (a field, or text with a letter or digit)
    for group in _groups(terms):
        wordy = [t for t in group if t.field or _WORDY.search(t.value)]
        for term in group:
            if not term.field and not _WORDY.search(term.value) and term.quoted:
                raise QueryError(f"{_fts_phrase(term.value)} has no letters or digits to search for")
        if not wordy:
            continue  # stray punctuation such as "&" or "!!" between words
        searched = True
        if len(wordy) > 1 and all(not t.field and not t.negated for t in wordy):
            searches.append(wordy)
            continue
        if len(wordy) > 1:
            either: list[str] = []
            for term in wordy:
                if term.field:
                    sql, values = clause(term, agent, now)
                    sql = f"NOT ({sql})" if term.negated else f"({sql})"
                else:
                    sql, values = text_condition(term)
                either.append(sql)
                params += values
            where.append("(" + " OR ".join(either) + ")")
            continue
        term = wordy[0]
        if term.field:
            sql, values = clause(term, agent, now)
            where.append(f"NOT ({sql})" if term.negated else sql)
            params += values
        elif term.negated:
            sql, values = text_condition(term)
            where.append(sql)
            params += values
        else:
            searches.append([term])
    if terms and not searched:
        raise QueryError(f"nothing to search for in {text!r}: no field, letter or digit")
    return where, params, searches


def parse_query(
    text: str, agent: str = "", now: float | None = None, known: Vocabulary | None = None
) -> PostFilter:
    """Compile a query into a PostFilter.

    Args:
        text: what the agent typed.
        agent: the agent's name (for `assigned:me` and `is:mine`).
        now: the time relative dates count back from (default: now).
        known: the cache's networks and assignees; with it, other values of those fields are errors.

    Raises:
        QueryError: with a message fit to show inline under the search box.
    """
    where, params, searches = compile_terms(
        text,
        agent,
        time.time() if now is None else now,
        lambda term, agent, now: _clause(term, agent, now, known),
        _text_condition,
    )
    fts = [
        _fts_phrase(group[0].value)
        if len(group) == 1
        else "(" + " OR ".join(_fts_phrase(t.value) for t in group) + ")"
        for group in searches
    ]
    return PostFilter(tuple(where), tuple(params), " AND ".join(fts) or None)
