"""The team's canned replies: versions a supervisor publishes, the newest being the set every desk uses.

A version is one row holding the whole set (the `[[macro]]` tables and `[dm_template]` of a playbook,
as JSON), never changed afterwards, so a desk reading the feed holds one set, never half of two.
Pushes lock the table, so version numbers follow commit order and the newest version is the team's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg


class Version(msgspec.Struct, frozen=True):
    """One published set: its number, who published it from which file and when, and its content."""

    version: int
    macros: list[dict[str, str]]
    dm_template: dict[str, str]
    source: str
    sha256: str
    pushed_by: str
    pushed_at: float


def current(conn: psycopg.Connection) -> Version | None:
    """The team's set now (its newest version), or None when none was ever published."""
    row = conn.execute(
        "SELECT version, macros, dm_template, source, sha256, pushed_by, pushed_at FROM playbooks "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return Version(*row) if row else None


def publish(
    conn: psycopg.Connection,
    agent: str,
    macros: list[dict[str, str]],
    dm_template: dict[str, str],
    source: str,
    sha256: str,
) -> int | None:
    """Make this set the team's (a supervisor's action), audited with what it added, removed and changed.

    Args:
        macros: the `[[macro]]` tables, checked by the caller (services/team_playbook.py).
        sha256: identifies the set's content; the set in use again publishes nothing.

    Returns:
        The new version, or None when the team's set is this one already.

    Raises:
        NotAllowed: `agent` is not an active supervisor.
    """
    from psycopg.types.json import Jsonb

    with conn.transaction():
        roles.require(conn, agent, "playbook")
        # One push at a time: version numbers in commit order, and the diff against the set in use.
        conn.execute("LOCK TABLE playbooks IN SHARE ROW EXCLUSIVE MODE")
        before = current(conn)
        if before is not None and before.sha256 == sha256:
            return None
        row = conn.execute(
            "INSERT INTO playbooks (macros, dm_template, source, sha256, pushed_by) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING version",
            (Jsonb(macros), Jsonb(dm_template), source, sha256, agent),
        ).fetchone()
        assert row is not None
        version = int(row[0])
        added, removed, changed = _changes(before.macros if before else [], macros)
        audit.record(
            conn, agent, "playbook.push", version=version, source=source, sha256=sha256,
            added=added, removed=removed, changed=changed,
        )  # fmt: skip
    return version


def _changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[str]]:
    """The macro names a new version adds, removes and changes (by name, case-insensitive)."""
    old = {str(m["name"]).lower(): m for m in before}
    new = {str(m["name"]).lower(): m for m in after}
    return (
        [str(m["name"]) for k, m in new.items() if k not in old],
        [str(m["name"]) for k, m in old.items() if k not in new],
        [str(m["name"]) for k, m in new.items() if k in old and old[k] != m],
    )
