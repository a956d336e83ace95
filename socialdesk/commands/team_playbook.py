"""`socialdesk team playbook`: publish a playbook file's canned replies as the team's set, and show it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from socialdesk.commands import Group
from socialdesk.context import from_typer

playbook_app = typer.Typer(
    cls=Group,
    help="The team's canned replies: one set for every team desk (README: Team).",
    no_args_is_help=True,
)
_URL_OPTION = typer.Option("--url", help="postgresql:// URL (default: [team] url).")


@playbook_app.command("push")
def push(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A playbook file: its [[macro]]s and [dm_template] are published.")
    ],
    url: Annotated[Optional[str], _URL_OPTION] = None,  # noqa: UP045
) -> None:
    """Make FILE's canned replies the team's set, used by every team desk (supervisors only)."""
    from socialdesk.commands.team import team_session
    from socialdesk.services.team_playbook import push_file

    context = from_typer(ctx)
    with team_session(context, url) as conn:
        pushed = push_file(conn, context.settings.desk.agent, file)
    if pushed.version is None:
        typer.echo(
            f"the team playbook v{pushed.current} already holds these canned replies: nothing published"
        )
        return
    what = f"{pushed.macros} canned repl{'y' if pushed.macros == 1 else 'ies'}"
    what += " and the DM template" if pushed.dm_template else ""
    typer.echo(f"the team playbook is now v{pushed.version}: {what} from {file.expanduser()}")
    if pushed.left_out:
        typer.echo(
            f"not published (each desk's and the hub's own playbook keep them): {', '.join(pushed.left_out)}"
        )


@playbook_app.command("show")
def show(ctx: typer.Context, url: Annotated[Optional[str], _URL_OPTION] = None) -> None:  # noqa: UP045
    """The team's canned replies now: version, who published them, each reply's name and hint."""
    from socialdesk.commands.team import team_session
    from socialdesk.sanitize import clean
    from socialdesk.team import playbook

    context = from_typer(ctx)
    with team_session(context, url) as conn:
        version = playbook.current(conn)
    if version is None:
        typer.echo("no team playbook yet: a supervisor runs `socialdesk team playbook push FILE`")
        return
    when = datetime.fromtimestamp(version.pushed_at).strftime("%Y-%m-%d %H:%M")
    typer.echo(
        f"the team playbook v{version.version}, pushed by {version.pushed_by} at {when} from {version.source}"
    )
    for macro in version.macros:
        key = f" [{macro['key']}]" if macro.get("key") else ""
        hint = clean(str(macro.get("description") or macro.get("text", "")), single_line=True)
        typer.echo(f"{clean(str(macro['name']), single_line=True)}{key}  {hint}")
