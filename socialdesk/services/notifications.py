"""Notices for the agent at the desk: what rules and automations with `notify` raised, and what was seen.

A notice is stored once, for an audience ("desk": everyone at the desk, else an agent's name); each
agent's desk shows those meant for it that it has not shown yet (a toast and the bell) and lists the
recent ones. Kept in the cache, not in the desk: a shared cache (team mode) fans them out to every
agent by the same query.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from socialdesk.sanitize import clean
from socialdesk.store import automation_queries as aq

if TYPE_CHECKING:
    from socialdesk.store import Store

Notice = aq.Notice


def unseen(store: Store, agent: str, limit: int = 50) -> list[Notice]:
    """The notices for `agent` not shown yet, oldest first, now marked as shown.

    An agent's first call starts from now: a new desk does not replay the cache's history.
    """
    with store.transaction() as conn:
        seen = aq.seen_up_to(conn, agent)
        if seen is None:
            aq.mark_seen(conn, agent, aq.newest_notice_id(conn))
            return []
        found = aq.notices_after(conn, seen, agent, limit)
        if found:
            aq.mark_seen(conn, agent, found[-1].id)
        return found


def begin(store: Store, agent: str) -> None:
    """Start `agent`'s notices from the newest held, unless started already (a team desk, after its
    first read of the team's: the team's history is listed, not rung)."""
    with store.transaction() as conn:
        if aq.seen_up_to(conn, agent) is None:
            aq.mark_seen(conn, agent, aq.newest_notice_id(conn))


def recent(store: Store, agent: str, limit: int = 100) -> list[Notice]:
    """The newest notices for `agent`, newest first."""
    return aq.recent_notices(store.conn, agent, limit)


def line(notice: Notice) -> str:
    """One plain line for a notice (post text cleaned: it is hostile input)."""
    text = clean(notice.text, single_line=True)
    excerpt = text if len(text) <= 80 else text[:79] + "…"
    who = f"@{notice.author}: " if notice.author else ""
    post = f"post {notice.post_id} " if notice.post_id is not None else ""
    when = datetime.fromtimestamp(notice.at).strftime("%H:%M")
    return f"{when} {notice.origin}: {post}{who}{excerpt}"
