"""Counts of saved queues without reading posts: a tally of posts per combination of the columns queues
filter on, kept by triggers (migration 32), and the check that a filter reads nothing else.

A tab's count ("Needs reply 38,550") and a feed's total were COUNTs over an index of every post: 13 ms
for "All" at a million posts and ten times that at ten million, and "Mine" (an assignee under any
status but two) read the whole index. The tally holds one row per combination present (about a thousand
in a busy cache), so the same WHERE clause over it costs the same at any size (README, "Performance").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COLUMNS = ("status", "actionable", "is_ours", "assigned_to", "intent", "sentiment_label")
_TYPES = {"actionable": "INTEGER", "is_ours": "INTEGER"}  # the others are TEXT
# Shared with the tallies by tag (store/tag_tally.py, tag_pairs.py): the columns as a key, as a post's
# (alias `p`), whether a trigger's row changed them, and their definitions in a CREATE TABLE.
KEY = ", ".join(COLUMNS)
OF_POST = ", ".join(f"p.{c}" for c in COLUMNS)
CHANGED = " OR ".join(f"old.{c} <> new.{c}" for c in COLUMNS)
DEFINITIONS = "\n".join(f"    {c} {_TYPES.get(c, 'TEXT')} NOT NULL," for c in COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in COLUMNS)
_OLD_ROW = " AND ".join(f"{c} = old.{c}" for c in COLUMNS)

_ADD_NEW = (
    f"INSERT INTO queue_tally ({KEY}, n) VALUES ({_NEW}, 1) ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;"
)
_TAKE_OLD = f"UPDATE queue_tally SET n = n - 1 WHERE {_OLD_ROW};"

BACKFILL = f"INSERT INTO queue_tally ({KEY}, n) SELECT {KEY}, COUNT(*) FROM posts GROUP BY {KEY};\n"

# The backfill reads the index the tally replaces (every column it groups by, in order) before dropping it.
MIGRATION = f"""
CREATE TABLE queue_tally (
{DEFINITIONS}
    n INTEGER NOT NULL,
    PRIMARY KEY ({KEY})
) WITHOUT ROWID;
CREATE TRIGGER queue_tally_insert AFTER INSERT ON posts BEGIN
    {_ADD_NEW}
END;
CREATE TRIGGER queue_tally_delete AFTER DELETE ON posts BEGIN
    {_TAKE_OLD}
END;
CREATE TRIGGER queue_tally_update AFTER UPDATE OF {KEY} ON posts WHEN {CHANGED} BEGIN
    {_TAKE_OLD}
    {_ADD_NEW}
END;
{BACKFILL}DROP INDEX IF EXISTS posts_queue_counts;
"""

# A clause the tally can answer names only its columns (as `p.<column>`), literals, parameters,
# comparisons and boolean words: no function, subquery or other table, whose meaning it cannot know.
_TOKEN = re.compile(r"'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.]*|\d+|\S")
_READABLE = {f"p.{c}" for c in COLUMNS} | {"AND", "OR", "NOT", "IN", "IS", "NULL"} | set("()=<>!?,")


def answers(clauses: Iterable[str]) -> bool:
    """Whether a filter's WHERE clauses (alias `p`) read only the tally's columns."""
    return all(
        token.startswith("'") or token.isdigit() or token.upper() in _READABLE or token in _READABLE
        for clause in clauses
        for token in _TOKEN.findall(clause)
    )


def marks(clause: str) -> int:
    """How many parameters a clause takes (a `?` inside a literal is text, not one)."""
    return sum(token == "?" for token in _TOKEN.findall(clause))
