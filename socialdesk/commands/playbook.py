"""`socialdesk playbook check`: every section of a playbook validated, errors apart from warnings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from socialdesk.commands import Group, warn
from socialdesk.context import Context, from_typer
from socialdesk.errors import UserError
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.playbook_check import CheckReport

playbook_app = typer.Typer(cls=Group, help="Check the team's playbook.", no_args_is_help=True)


def check_file(context: Context, path: Path | str | None) -> tuple[PlaybookFile, CheckReport]:
    """Load and check a playbook (None: the configured one) against the networks and agents known here.

    Raises:
        UserError: the file is missing or not TOML (nothing else can be checked then).
    """
    from socialdesk.connectors.registry import list_connectors
    from socialdesk.services.playbook import load_playbook
    from socialdesk.services.playbook_check import check_playbook
    from socialdesk.store.playbook_queries import known_agents, known_networks

    playbook = load_playbook(path if path is not None else context.settings.desk.playbook)
    conn = context.store.conn
    networks = {c.name for c in list_connectors()} | known_networks(conn)
    agents = {context.settings.desk.agent} | known_agents(conn)
    return playbook, check_playbook(playbook, networks=networks, agents=agents)


def require_valid(context: Context, path: Path | str | None) -> PlaybookFile:
    """The playbook, checked: warnings go to stderr, errors refuse it (as the desk and sync would).

    Raises:
        UserError: the first error, and how many more there are.
    """
    playbook, report = check_file(context, path)
    for warning in report.warnings:
        warn(warning)
    if report.errors:
        more = len(report.errors) - 1
        suffix = f" (and {more} more: socialdesk playbook check)" if more else ""
        raise UserError(report.errors[0] + suffix)
    return playbook


@playbook_app.command("check")
def playbook_check(
    ctx: typer.Context,
    path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="Playbook to check (default: the configured one)."),
    ] = None,
) -> None:
    """Validate every section (rules, queues, canned replies, VIPs, intents); exit 1 on any error."""
    context = from_typer(ctx)
    _, report = check_file(context, path)
    for line in report.lines():
        typer.echo(line)
    verdict = "refused" if report.errors else "ok"
    typer.echo(f"{report.source}: {verdict}: {len(report.errors)} errors, {len(report.warnings)} warnings")
    if report.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `playbook check` to the socialdesk command."""
    app.add_typer(playbook_app, name="playbook")
