"""The change feed read as a desk reads it: keyset pages, never missing a late commit, woken by NOTIFY."""

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
        last = feed.START
        while page := feed.pull(desk, "conversations", last, limit=3):
            seen += [row["id"] for row in page]
            last = feed.position(page[-1])
        assert seen == ids
        add_agents(hub, ann="agent")
        claims.claim_next(hub, "ann")  # a claim writes claims and conversations in one commit
        assert woken_for(desk, {"agents", "claims", "conversations"}) == {"agents", "claims", "conversations"}
        changed = feed.pull(desk, "conversations", last)
        assert [(row["id"], row["assigned_to"]) for row in changed] == [(ids[0], "ann")]
        assert feed.pull(desk, "conversations", feed.position(changed[-1])) == []


def test_only_replicated_tables_are_pulled(team_db: str) -> None:
    refused = pytest.raises(ValueError, match="not in the change feed")
    with psycopg.connect(team_db, autocommit=True) as conn, refused:
        feed.pull(conn, "audit", feed.START)


def read_all(reader: psycopg.Connection, after: feed.Position) -> tuple[list[str], feed.Position]:
    """Every agents row readable past `after`, in feed order, and the position reached."""
    names: list[str] = []
    while page := feed.pull(reader, "agents", after, limit=2):
        names += [row["name"] for row in page]
        after = feed.position(page[-1])
    return names, after


def test_a_row_written_first_and_committed_last_is_read_once_after_the_other(team_db: str) -> None:
    """The lower sequence number commits after a reader has read past the higher one: still read, once."""
    with (
        psycopg.connect(team_db) as early,
        psycopg.connect(team_db) as late,
        psycopg.connect(team_db, autocommit=True) as reader,
    ):
        stamp = "INSERT INTO agents (name) VALUES (%s) RETURNING change_seq"
        early_seq = early.execute(stamp, ("early",)).fetchone()
        late_seq = late.execute(stamp, ("late",)).fetchone()
        assert early_seq is not None and late_seq is not None
        assert early_seq[0] < late_seq[0]  # early holds the lower sequence number ...
        late.commit()
        got, at = read_all(reader, feed.START)
        early.commit()  # ... commits after the reader read
        more, at = read_all(reader, at)
        assert sorted(got + more) == ["early", "late"]  # both, each exactly once
        assert read_all(reader, at) == ([], at)


def test_an_open_writing_transaction_delays_rows_but_never_loses_them(team_db: str) -> None:
    with (
        psycopg.connect(team_db) as blocker,
        psycopg.connect(team_db, autocommit=True) as hub,
        psycopg.connect(team_db, autocommit=True) as reader,
    ):
        # A writing transaction anywhere (here on a table outside the feed) that began before them.
        blocker.execute("INSERT INTO cursors (source, cursor) VALUES ('slow', '1')")
        add_agents(hub, ann="agent", bob="agent")
        got, at = read_all(reader, feed.START)
        assert (got, at) == ([], feed.START)  # committed, but held back behind the open transaction
        assert feed.pull(reader, "agents", at).held_back
        add_agents(hub, cid="agent")
        assert read_all(reader, at) == ([], at)
        blocker.commit()
        got, at = read_all(reader, at)
        assert got == ["ann", "bob", "cid"]
        assert not feed.pull(reader, "agents", at).held_back
        assert read_all(reader, at) == ([], at)


def test_a_rolled_back_writer_holds_back_nothing_once_it_ends(team_db: str) -> None:
    with psycopg.connect(team_db) as blocker, psycopg.connect(team_db, autocommit=True) as hub:
        blocker.execute("INSERT INTO agents (name) VALUES ('ghost')")
        add_agents(hub, ann="agent")
        assert read_all(hub, feed.START)[0] == []
        blocker.rollback()
        assert read_all(hub, feed.START)[0] == ["ann"]


def test_a_session_of_ours_left_idle_in_a_writing_transaction_is_ended_and_the_feed_moves_on(
    team_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.team import connect

    monkeypatch.setattr(connect, "IDLE_IN_TRANSACTION_S", 1)
    stuck = connect.connect(team_db, autocommit=False)
    try:
        with (
            psycopg.connect(team_db, autocommit=True) as hub,
            psycopg.connect(team_db, autocommit=True) as reader,
        ):
            stuck.execute("INSERT INTO cursors (source, cursor) VALUES ('asleep', '1')")  # then nothing
            add_agents(hub, ann="agent")
            assert read_all(reader, feed.START)[0] == []
            polls = 0
            while (got := read_all(reader, feed.START)[0]) == [] and polls < 600:
                reader.execute("SELECT pg_sleep(0.05)")  # polling the server's state, not timing it
                polls += 1
            assert got == ["ann"]
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            stuck.execute("SELECT 1")  # the server ended it
    finally:
        stuck.close()
