"""`socialdesk team`: create or migrate the shared PostgreSQL schema, and keep its password safe."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from socialdesk.commands import Group, warn
from socialdesk.context import Context, from_typer
from socialdesk.errors import UserError

if TYPE_CHECKING:
    import psycopg

team_app = typer.Typer(
    cls=Group, help="Team mode: one shared queue on PostgreSQL (README: Team).", no_args_is_help=True
)


_URL_ARGUMENT = typer.Argument(help="postgresql://USER@HOST:PORT/DBNAME (default: [team] url).")
_URL_OPTION = typer.Option("--url", help="postgresql:// URL (default: [team] url).")


def team_url(
    context: Context, given: str | None, missing: str = "team: give a postgresql:// URL"
) -> tuple[str, str]:
    """The URL to use and how to name it in errors: the one given, else [team] url.

    Raises:
        UserError: neither (`missing` says what to give, the line adds the config's setting).
    """
    if given:
        return given, "URL"
    if context.settings.team.url:
        return context.settings.team.url, f"{context.settings.source}: team.url"
    raise UserError(f"{missing}, or set [team] url in config.toml")


@contextmanager
def team_session(context: Context, given: str | None) -> Iterator[psycopg.Connection]:
    """The opening of every `team` command that uses the team's data: a connection to the URL given,
    else [team] url, on a database at this socialdesk's schema (else one line saying what to run)."""
    from socialdesk.team.connect import connect
    from socialdesk.team.migrate import require_current

    target, where = team_url(context, given)
    with connect(target, where=where) as conn:
        require_current(conn)
        yield conn


@team_app.command("init")
def init(
    ctx: typer.Context,
    url: Annotated[Optional[str], _URL_ARGUMENT] = None,  # noqa: UP045
) -> None:
    """Create the shared schema, or migrate it to this version; running it again changes nothing."""
    import psycopg

    from socialdesk.team.connect import connect, describe, safe_url
    from socialdesk.team.migrate import TeamSchemaTooNew, migrate

    context = from_typer(ctx)
    target, where = team_url(context, url)
    with connect(target, where=where) as conn:
        try:
            before, after = migrate(conn)
        except TeamSchemaTooNew as exc:
            raise UserError(f"team database {safe_url(target)}: {exc}") from None
        except psycopg.Error as exc:
            raise UserError(describe(exc, target)) from None
    if before == 0:
        what = "created"
    elif before == after:
        what = "already current"
    else:
        what = f"migrated from version {before}"
    typer.echo(f"team database {safe_url(target)}: schema version {after} ({what})")


@team_app.command("password")
def password(
    ctx: typer.Context,
    url: Annotated[Optional[str], _URL_ARGUMENT] = None,  # noqa: UP045
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Store the database password in the OS keyring (or the 0600 secrets file), never in config.toml."""
    from socialdesk.secrets import SecretStore
    from socialdesk.team.connect import parse_url, secret_name

    context = from_typer(ctx)
    target, where = team_url(context, url)
    params = parse_url(target, where)
    if "password" in params:
        raise UserError(f"{where}: this URL carries a password; give it without one")
    value = sys.stdin.readline() if stdin else str(typer.prompt("Password", hide_input=True))
    value = value.strip()
    if not value:
        raise UserError("team password: the password is empty")
    store = SecretStore()
    store.set(secret_name(params), value)
    typer.echo(f"stored as {secret_name(params)!r} in the {store.description}")
    if notice := store.notice:
        warn(notice)
    if os.environ.get("PGPASSWORD"):
        warn("PGPASSWORD is set and takes precedence")


@team_app.command("agent")
def agent(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The member's agent name (their desk.agent).")],
    role: Annotated[str, typer.Option("--role", help="agent, approver or supervisor.")] = "agent",
    inactive: Annotated[bool, typer.Option("--inactive", help="Take the member off the team.")] = False,
    url: Annotated[Optional[str], _URL_OPTION] = None,  # noqa: UP045
) -> None:
    """Add a team member or change one's role: a supervisor's action (the first member starts the team)."""
    from socialdesk.team.roles import set_agent

    context = from_typer(ctx)
    with team_session(context, url) as conn:
        set_agent(conn, context.settings.desk.agent, name, role, active=not inactive)
    typer.echo(f"{name}: {role}{' (inactive)' if inactive else ''}")


@team_app.command("status")
def status(ctx: typer.Context, url: Annotated[Optional[str], _URL_OPTION] = None) -> None:  # noqa: UP045
    """The supervisor's figures: live queue sizes, each agent's claims, SLA breaches (supervisors only)."""
    from socialdesk.team.supervisor import supervisor_view

    context = from_typer(ctx)
    with team_session(context, url) as conn:
        view = supervisor_view(conn, context.settings.desk.agent)
    queue = " · ".join(f"{status} {count}" for status, count in view.queue.items())
    typer.echo(f"queue: {queue} · claimable {view.claimable} · awaiting approval {view.awaiting_approval}")
    for load in view.agents:
        claimed = ", ".join(f"#{c}" for c in load.claimed) or "nothing"
        typer.echo(f"{load.agent} ({load.role or 'not a member'}): {len(load.claimed)} claimed: {claimed}")
    worst = ", ".join(
        f"#{b.conversation_id} {b.assigned_to or 'unassigned'} {round(b.overdue / 60)} min over"
        for b in view.breaches[:5]
    )
    typer.echo(f"SLA breaches: {view.breach_count}" + (f" (most overdue: {worst})" if worst else ""))


def register(app: typer.Typer) -> None:
    """Add the `team` command group to the socialdesk command."""
    from socialdesk.commands.team_playbook import playbook_app

    team_app.add_typer(playbook_app, name="playbook")
    app.add_typer(team_app, name="team")
