"""The change feed read as a desk reads it: keyset pages in commit order, woken by NOTIFY."""

from __future__ import annotations

import psycopg
import pytest

from socialdesk.team import claims, feed
from tests.team.seed import add_agents, add_conversation

pytestmark = pytest.mark.postgres


def woken_for(desk: psycopg.Connection, tables: set[str]) -> set[str]:
    """Every table notified until all of `tables` were (earlier commits' notices may come along)."""
    woken: set[str] = set()
    while not tables <= woken:
        more = feed.wait(desk, timeout=5)
        assert more, f"woken for {woken} only, waiting for {tables}"
        woken |= more
    return woken


def test_a_desk_pulls_every_change_once_in_pages(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub, psycopg.connect(team_db, autocommit=True) as desk:
        feed.listen(desk)
        ids = [add_conversation(hub, f"c{n}") for n in range(7)]
        assert woken_for(desk, {"conversations"}) == {"conversations"}
        seen: list[int] = []
        last = 0
        while page := feed.pull(desk, "conversations", last, limit=3):
            seen += [row["id"] for row in page]
            last = page[-1]["change_seq"]
        assert seen == ids
        add_agents(hub, ann="agent")
        claims.claim_next(hub, "ann")  # a claim writes claims and conversations in one commit
        assert woken_for(desk, {"agents", "claims", "conversations"}) == {"agents", "claims", "conversations"}
        changed = feed.pull(desk, "conversations", last)
        assert [(row["id"], row["assigned_to"]) for row in changed] == [(ids[0], "ann")]
        assert feed.pull(desk, "conversations", changed[-1]["change_seq"]) == []


def test_only_replicated_tables_are_pulled(team_db: str) -> None:
    refused = pytest.raises(ValueError, match="not in the change feed")
    with psycopg.connect(team_db, autocommit=True) as conn, refused:
        feed.pull(conn, "audit", 0)
