"""The playbook versions the desk accepted (the last good one to fall back on) and the names rules may use."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlaybookVersion:
    """One accepted playbook: when, by whom, from which file, and its text."""

    id: int
    at: float
    agent: str
    source: str
    sha256: str
    text: str


def last_playbook(conn: sqlite3.Connection) -> PlaybookVersion | None:
    """The newest accepted playbook version (None: none yet)."""
    row = conn.execute(
        "SELECT id, at, agent, source, sha256, text FROM playbooks ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return PlaybookVersion(*row) if row else None


def add_playbook(conn: sqlite3.Connection, at: float, agent: str, source: str, sha256: str, text: str) -> int:
    """Record an accepted playbook version; returns its id."""
    cur = conn.execute(
        "INSERT INTO playbooks (at, agent, source, sha256, text) VALUES (?, ?, ?, ?, ?)",
        (at, agent, source, sha256, text),
    )
    return int(cur.lastrowid or 0)


def known_networks(conn: sqlite3.Connection) -> set[str]:
    """Every network the cache holds posts from."""
    # One index seek per distinct network instead of a scan of every post.
    found: set[str] = set()
    row = conn.execute("SELECT MIN(network) FROM posts").fetchone()
    while row and row[0] is not None:
        found.add(row[0])
        row = conn.execute("SELECT MIN(network) FROM posts WHERE network > ?", (row[0],)).fetchone()
    return found


def known_agents(conn: sqlite3.Connection) -> set[str]:
    """Every agent the cache has seen: in the audit log or as an assignee."""
    found = {r[0] for r in conn.execute("SELECT DISTINCT agent FROM audit")}
    found |= {r[0] for r in conn.execute("SELECT DISTINCT assigned_to FROM posts WHERE assigned_to != ''")}
    return found
