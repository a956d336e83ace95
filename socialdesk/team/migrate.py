"""Applies the team schema's pending migrations under an advisory lock, and checks a database is current."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team.schema import LOCK_CLASS, MIGRATION_LOCK, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import psycopg


class TeamSchemaTooNew(RuntimeError):
    """The shared database was migrated by a newer socialdesk."""


def current_version(conn: psycopg.Connection) -> int:
    """The schema version of the database (0: never initialised)."""
    row = conn.execute("SELECT to_regclass('team_schema') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT version FROM team_schema").fetchone()
    return int(found[0]) if found else 0


def require_current(conn: psycopg.Connection) -> None:
    """Check that the database has this socialdesk's schema before a desk or hub uses it.

    Raises:
        UserError: one line saying what to run.
    """
    version = current_version(conn)
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        raise UserError("the team database has no socialdesk schema yet: run `socialdesk team init`")
    if version < SCHEMA_VERSION:
        raise UserError(
            f"the team database is at schema version {version}, this socialdesk needs {SCHEMA_VERSION}: "
            "run `socialdesk team init` to migrate it"
        )
    raise UserError(
        f"the team database is at schema version {version}, newer than this socialdesk understands "
        f"({SCHEMA_VERSION}): upgrade socialdesk"
    )


def migrate(conn: psycopg.Connection) -> tuple[int, int]:
    """Apply every pending migration in one transaction; return (version before, version after).

    An advisory lock serialises concurrent runs (two `team init` at once): the second finds the work
    done. A failure rolls everything back and leaves the database at the version it had.

    Raises:
        TeamSchemaTooNew: the database is at a version this socialdesk does not know.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, MIGRATION_LOCK))
        conn.execute("CREATE TABLE IF NOT EXISTS team_schema (version integer NOT NULL)")
        before = current_version(conn)
        if before > SCHEMA_VERSION:
            raise TeamSchemaTooNew(
                f"the team database is at schema version {before}, newer than this socialdesk "
                f"understands ({SCHEMA_VERSION}): upgrade socialdesk"
            )
        for version in range(before, SCHEMA_VERSION):
            conn.execute(MIGRATIONS[version].encode())
        if before == 0:
            conn.execute("INSERT INTO team_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif before < SCHEMA_VERSION:
            conn.execute("UPDATE team_schema SET version = %s", (SCHEMA_VERSION,))
    return before, SCHEMA_VERSION
