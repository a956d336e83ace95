"""The playbook versions the desk accepted (the last good one to fall back on) and the names rules may use."""

from __future__ import annotations

import sqlite3

import msgspec


class PlaybookVersion(msgspec.Struct, frozen=True):
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


HIT_SPANS = {"1h": 60, "24h": 24 * 60, "7d": 7 * 24 * 60}  # in minutes
_HITS_KEPT_MINUTES = 8 * 24 * 60


def add_rule_hits(conn: sqlite3.Connection, minute: int, hits: dict[str, int]) -> None:
    """Count rule hits in a minute's bucket; buckets older than 8 days go."""
    conn.executemany(
        "INSERT INTO rule_hits (minute, rule, hits) VALUES (?, ?, ?) "
        "ON CONFLICT (minute, rule) DO UPDATE SET hits = hits + excluded.hits",
        [(minute, rule, n) for rule, n in hits.items()],
    )
    conn.execute("DELETE FROM rule_hits WHERE minute < ?", (minute - _HITS_KEPT_MINUTES,))


def rule_hit_counts(conn: sqlite3.Connection, now_minute: int) -> dict[str, dict[str, int]]:
    """Per rule name: its live hits over the last hour, day and week (`HIT_SPANS`)."""
    counts: dict[str, dict[str, int]] = {}
    for span, minutes in HIT_SPANS.items():
        for rule, hits in conn.execute(
            "SELECT rule, SUM(hits) FROM rule_hits WHERE minute > ? GROUP BY rule", (now_minute - minutes,)
        ):
            counts.setdefault(rule, dict.fromkeys(HIT_SPANS, 0))[span] = int(hits)
    return counts
