"""The search query language compiled for the team's PostgreSQL: posts `p` joined to their conversation `c`.

The same parser as the cache's (services/query.py); only the SQL differs. The queue state (status,
assignee, priority, tags, due time) is the conversation's, as every desk shows it; text, author,
network, sentiment and intent are the post's. Tickets and customers' fields (`ticket:`, `email:`,
`order:`) live in each desk's cache, not in the team database: a query naming them is refused.
Free text is matched with PostgreSQL's full text search (`simple` configuration, each term a phrase).
"""

from __future__ import annotations

from typing import Any

from socialdesk.models import Status
from socialdesk.services.query import (
    IS_VALUES,
    QueryError,
    Term,
    _check,
    _values,
    compile_terms,
    parse_time,
)

_LOCAL_ONLY = ("ticket", "email", "order")


def _any(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    return f"{column} = ANY(%s)", [values]  # psycopg adapts the list to an array


def _clause(term: Term, agent: str, now: float) -> tuple[str, list[Any]]:
    """The PostgreSQL condition of one field term."""
    name = term.field
    if name in _LOCAL_ONLY:
        raise QueryError(f"{name}: is kept in each desk's cache, not in the team database")
    values = _values(term)
    if name == "from":
        parts: list[str] = []
        params: list[Any] = []
        for v in values:
            handle = v.lstrip("@")
            if not handle:
                raise QueryError("from: needs a handle after the @ (from:@sam)")
            like = handle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(
                "(lower(ltrim(p.author_handle, '@')) = lower(%s) OR ltrim(p.author_handle, '@') ILIKE %s)"
            )
            params += [handle, like + "@%"]
        return " OR ".join(parts), params
    if name == "network":
        return _any("p.network", [v.casefold() for v in values])
    if name == "tag":
        # the conversation's tags (agents', automations') or the post's own triage tags
        return "(c.tags && %s::text[] OR p.tags && %s::text[])", [values, values]
    if name == "status":
        statuses = _check(name, values, tuple(s.value for s in Status))
        if Status.RESOLVED in statuses and Status.CLOSED not in statuses:
            statuses = [*statuses, Status.CLOSED.value]
        return _any("c.status", list(statuses))
    if name == "sentiment":
        from socialdesk.services.sentiment import SENTIMENT_LABELS

        return _any("p.sentiment_label", list(_check(name, values, SENTIMENT_LABELS)))
    if name == "intent":
        from socialdesk.services.intents import INTENTS

        return _any("p.intent", list(_check(name, values, INTENTS)))
    if name == "priority":
        from socialdesk.services.rules import PRIORITY_NAMES

        numbers = [
            str(PRIORITY_NAMES.index(v)) if v in PRIORITY_NAMES else v for v in (x.casefold() for x in values)
        ]
        # the conversation's: the highest of its posts', or what an automation raised it to
        return _any("c.priority", [int(v) for v in _check(name, numbers, ("0", "1", "2", "3"))])
    if name == "assigned":
        names = ["" if v.casefold() == "none" else agent if v.casefold() == "me" else v for v in values]
        return _any("c.assigned_to", list(names))
    if name in ("before", "after"):
        if len(values) != 1:
            raise QueryError(f"{name}: takes one date")
        at = parse_time(values[0], now, name)
        return ("p.created_at < %s" if name == "before" else "p.created_at >= %s"), [at]
    parts = []
    params = []
    for v in _check(name, values, IS_VALUES):
        if v == "open":
            parts.append("c.status IN ('new', 'open') AND NOT p.is_ours")
        elif v == "actionable":
            parts.append("p.actionable AND NOT p.is_ours")
        elif v == "unassigned":
            parts.append("c.assigned_to = ''")
        elif v == "mine":
            parts.append("c.assigned_to = %s")
            params.append(agent)
        elif v == "ours":
            parts.append("p.is_ours")
        else:  # overdue
            parts.append(
                "c.due_at < %s AND c.first_response_at IS NULL "
                "AND c.status NOT IN ('resolved', 'snoozed', 'closed')"
            )
            params.append(now)
    return " OR ".join(f"({p})" for p in parts), params


def _text(term: Term) -> tuple[str, list[Any]]:
    sql = "to_tsvector('simple', p.text) @@ phraseto_tsquery('simple', %s)"
    return (f"NOT ({sql})" if term.negated else sql), [term.value]


def team_filter(text: str, agent: str, now: float) -> tuple[str, list[Any]]:
    """A query as a PostgreSQL condition on `p` (posts) and `c` (their conversation), with its values.

    Raises:
        QueryError: the parser's errors, and fields the team database does not hold.
    """
    where, params, searches = compile_terms(text, agent, now, _clause, _text)
    for group in searches:
        either = [_text(t) for t in group]
        where.append("(" + " OR ".join(sql for sql, _ in either) + ")")
        params += [v for _, values in either for v in values]
    return " AND ".join(f"({w})" for w in where) or "true", params
