"""The shared schema on a real PostgreSQL: migrations, the change feed in commit order, NOTIFY, audit."""

from __future__ import annotations

import psycopg
import pytest

from socialdesk.team import migrate, schema

pytestmark = pytest.mark.postgres


def test_migrate_creates_then_changes_nothing(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert migrate.current_version(conn) == 0
        assert migrate.migrate(conn) == (0, schema.SCHEMA_VERSION)
        assert migrate.migrate(conn) == (schema.SCHEMA_VERSION, schema.SCHEMA_VERSION)
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert set(schema.REPLICATED) | {"audit", "cursors", "hub_leases", "team_schema"} <= tables


def test_a_newer_schema_is_refused(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("UPDATE team_schema SET version = version + 1")
        with pytest.raises(migrate.TeamSchemaTooNew, match="newer than this socialdesk"):
            migrate.migrate(conn)


def test_every_replicated_table_is_stamped_and_indexed(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        for table in schema.REPLICATED:
            indexed = conn.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = %s "
                "AND indexdef LIKE '%%(change_xid, change_seq)'",
                (table,),
            ).fetchone()
            assert indexed == (1,), table
            # a plain row trigger: no constraint trigger deferred to the commit any more
            triggers = conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s "
                "AND tgconstraint = 0",
                (table, f"{table}_change"),
            ).fetchone()
            assert triggers == (1,), table


def _add_agent(conn: psycopg.Connection, name: str) -> None:
    conn.execute("INSERT INTO agents (name) VALUES (%s)", (name,))


def _seq(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("SELECT change_seq FROM agents WHERE name = %s", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def test_a_row_is_stamped_as_written_with_its_transaction_and_a_sequence_number(team_db: str) -> None:
    """No lock and no second write at the commit: the writer itself sees its row's stamp."""
    with psycopg.connect(team_db) as first, psycopg.connect(team_db) as second:
        _add_agent(first, "early-writer")
        _add_agent(second, "late-writer")
        for conn, name in ((first, "early-writer"), (second, "late-writer")):
            row = conn.execute(
                "SELECT change_xid = pg_current_xact_id(), change_seq FROM agents WHERE name = %s", (name,)
            ).fetchone()
            assert row is not None and row[0] and row[1] > 0
        # the advisory lock migration 1 took for the stamp is held by nobody
        held = first.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
            (schema.LOCK_CLASS, schema.STAMP_LOCK),
        ).fetchone()
        assert held == (0,)
        second.commit()
        first.commit()  # committed last, yet no re-stamp: its sequence number stays the lower one
        assert _seq(second, "early-writer") < _seq(second, "late-writer")


def test_an_update_moves_the_row_up_the_feed(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        _add_agent(conn, "ann")
        _add_agent(conn, "bob")
        before = _seq(conn, "ann")
        conn.execute("UPDATE agents SET role = 'approver' WHERE name = 'ann'")
        assert _seq(conn, "ann") > max(before, _seq(conn, "bob"))


def test_a_commit_notifies_the_channel_once_per_table(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as listener, psycopg.connect(team_db) as writer:
        listener.execute(f"LISTEN {schema.CHANNEL}")
        _add_agent(writer, "ann")
        _add_agent(writer, "bob")
        assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # nothing before the commit
        writer.commit()
        got = list(listener.notifies(timeout=5, stop_after=1))
        assert [(n.channel, n.payload) for n in got] == [(schema.CHANNEL, "agents")]
        assert list(listener.notifies(timeout=0.2, stop_after=1)) == []  # collapsed into one


def test_a_rolled_back_change_is_not_in_the_feed(team_db: str) -> None:
    with psycopg.connect(team_db) as writer:
        _add_agent(writer, "ghost")
        writer.rollback()
        _add_agent(writer, "ann")
        writer.commit()
        assert writer.execute("SELECT name FROM agents").fetchall() == [("ann",)]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET agent = 'someone-else'", "DELETE FROM audit", "TRUNCATE audit"],
)
def test_the_audit_log_is_append_only_for_everyone(team_db: str, statement: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        conn.execute("INSERT INTO audit (agent, action, detail) VALUES ('ann', 'claim', '{}')")
        # Even the database owner (the test connects as the superuser) is refused.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
        assert conn.execute("SELECT agent, action FROM audit").fetchall() == [("ann", "claim")]


def test_a_desk_is_told_to_run_init_on_a_database_without_the_current_schema(pg_url: str) -> None:
    from socialdesk.errors import UserError

    with psycopg.connect(pg_url, autocommit=True) as conn:
        with pytest.raises(UserError, match="no socialdesk schema yet: run `socialdesk team init`"):
            migrate.require_current(conn)
        migrate.migrate(conn)
        migrate.require_current(conn)
        conn.execute("UPDATE team_schema SET version = version + 1")
        with pytest.raises(UserError, match="newer than this socialdesk understands"):
            migrate.require_current(conn)
