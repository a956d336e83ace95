"""Who the agent can hand a conversation to, and the tags a conversation can lose: what the pickers list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from socialdesk.store import team_cache
from socialdesk.store.queries import get_post
from socialdesk.store.vocabulary import vocabulary

if TYPE_CHECKING:
    from socialdesk.store import Store

NOBODY = "(nobody)"  # the picker's entry that unassigns


class Assignees(msgspec.Struct, frozen=True):
    """The names a conversation can be handed to from this desk, or why it cannot be handed to anyone."""

    names: tuple[str, ...]
    refused: str = ""


def assignees(store: Store, agent: str, team: bool) -> Assignees:
    """The team's active members (a team desk, as last read from the team), else the names the cache
    knows as assignees and the agent's own.

    On a team desk handing a conversation to a colleague is a supervisor's (team/roles.py `assign`);
    another member is told so before any picker opens (the team database would refuse it anyway).
    """
    if team:
        role = team_cache.role_of(store.conn, agent)
        if role != "supervisor":
            return Assignees(
                (),
                f"Handing a conversation to a colleague is a supervisor's (you are {role or 'not a member'})",
            )
        return Assignees(tuple(team_cache.members(store.conn)))
    known = vocabulary(store.conn).assignees | {agent}
    return Assignees(tuple(sorted((n for n in known if n), key=str.casefold)))


def tags_of(store: Store, post_ids: Sequence[int]) -> list[str]:
    """Every tag the posts carry, sorted (what a remove-tag picker offers)."""
    found: set[str] = set()
    for post_id in post_ids:
        row = get_post(store.conn, post_id)
        if row is not None:
            found.update(row.tags)
    return sorted(found, key=str.casefold)
