"""The `socialdesk` command: opens the desk, runs headless sync, lists connectors, exports.

Heavy modules (Textual, the connectors) are imported inside the commands that need them, so
`socialdesk --help` and scripted commands start fast. The console script enters through
`socialdesk.launcher.main`, which opens the desk without importing this module (nor typer).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from socialdesk import __version__
from socialdesk.commands import Group, warn
from socialdesk.context import from_typer
from socialdesk.errors import UserError

# What opening the desk needs lives in the typer-free launcher, so the console script can open it
# without importing typer; the names stay importable from here for the commands and other callers.
from socialdesk.launcher import ROOT_FLAG_OPTIONS as ROOT_FLAG_OPTIONS
from socialdesk.launcher import ROOT_VALUE_OPTIONS as ROOT_VALUE_OPTIONS
from socialdesk.launcher import (
    _only_opens_the_desk,
    build_context,
    make_app,
    run_desk,
    workspace_sources,
    workspace_triage,
)
from socialdesk.memory import collection_paused_until_first_page

try:  # recent typer vendors its own copy of click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import ClickException  # type: ignore[assignment]

app = typer.Typer(
    cls=Group,
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="A terminal console for customer service on social media. Without a command, opens the desk.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socialdesk {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="Cache database file to use.")] = None,  # noqa: UP045
    config: Annotated[Optional[Path], typer.Option("--config", help="Config file (TOML).")] = None,  # noqa: UP045
    theme: Annotated[Optional[str], typer.Option("--theme", help="Theme name.")] = None,  # noqa: UP045
    offline: Annotated[bool, typer.Option("--offline", help="Never contact the networks.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Open the desk on the configured workspace (or the demo workspace when nothing is configured)."""
    # `accounts add --config new.toml` creates the file (the other `accounts` commands say it is missing).
    creates = ctx.invoked_subcommand == "accounts"
    ctx.obj = build_context(
        db,
        config,
        theme,
        offline,
        force_demo=ctx.invoked_subcommand == "demo",
        config_may_be_new=creates,
        real_workspace=ctx.invoked_subcommand == "import",
    )
    if ctx.invoked_subcommand is None:
        with collection_paused_until_first_page():
            run_desk(make_app(ctx.obj, ask_agent=True))


@app.command()
def demo(
    ctx: typer.Context,
    reset: Annotated[
        bool, typer.Option("--reset", help="Throw the demo workspace away and start anew.")
    ] = False,
) -> None:
    """Open the desk on the embedded demo workspace."""
    context = from_typer(ctx)
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(str(context.db_path) + suffix).unlink(missing_ok=True)
    with collection_paused_until_first_page():
        run_desk(make_app(context, ask_agent=True))


@app.command()
def sync(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Sync every account once and exit.")] = False,
) -> None:
    """Sync headless (no UI): `--once` for one round, otherwise keep syncing until interrupted."""
    import time

    from socialdesk.services.automations import run_kept
    from socialdesk.services.playbook_keeper import keeper_for
    from socialdesk.services.sync import auth_backoff, sync_source

    context = from_typer(ctx)
    if context.offline:
        raise UserError("sync: --offline is set; nothing to do")
    sources = workspace_sources(context)
    if not sources:
        raise UserError("sync: no accounts configured (add one with `socialdesk accounts add`)")
    triage = workspace_triage(context)
    failed = False
    while True:
        if refused := (getattr(triage, "notice", None) or str)():
            warn(refused)
        for source in sources:
            refused = auth_backoff(context.store, source.name, time.time())
            if refused is not None:  # the network refused it lately: leave it alone for a while
                until = time.strftime("%H:%M", time.localtime(refused.retry_at))
                typer.echo(
                    f"{source.name}: needs auth · skipped until {until} · {refused.message} "
                    f"(`socialdesk accounts test {source.name}` checks it now)"
                )
                failed = True
                continue
            report = sync_source(context.store, source, triage)
            line = f"{source.name}: {report.state} · {len(report.new_ids)} new · {report.updated} updated"
            if report.deleted:
                line += f" · {report.deleted} deleted"
            if report.quarantined:
                line += f" · {report.quarantined} quarantined"
            if report.reached is not None:
                line += f" · {report.reach_text()}"
            if report.message:
                line += f" · {report.message}"
            typer.echo(line)
            failed = failed or report.state not in ("ok", "rate-limited")
        # After each round: snoozes that ran out wake, and the playbook's automations fire (a team's
        # run in the hub, once for the team, on the team database).
        team = bool(context.settings.team.url)
        if not team and (summary := run_kept(keeper_for(context), time.time()).summary()):
            typer.echo(summary)
        if once:
            break
        time.sleep(context.settings.desk.sync_interval)
    if failed:
        raise typer.Exit(1)


@app.command()
def connectors() -> None:
    """List the installed connectors (from the socialdesk.connectors entry points)."""
    from socialdesk.connectors.registry import list_connectors

    for info in list_connectors():
        typer.echo(f"{info.name:<10} {info.target:<48} ({info.distribution})")


@app.command()
def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help="Output format: jsonl.")] = "jsonl",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File (default: stdout).")] = None,  # noqa: UP045
) -> None:
    """Export the cached posts, one JSON object per line (see README: JSONL line format)."""
    if format != "jsonl":
        raise UserError(f"--format: unknown format {format!r} (available: jsonl)")
    from socialdesk.services.jsonl_io import export_jsonl

    context = from_typer(ctx)
    if output is None:
        count = export_jsonl(context.store, sys.stdout)
    else:
        with output.open("w", encoding="utf-8") as stream:
            count = export_jsonl(context.store, stream)
    typer.echo(f"exported {count} posts", err=True)


_registered = False


def _register_commands() -> None:
    """Mount the subcommands that live in socialdesk/commands/ (each module registers its own), once."""
    global _registered
    if _registered:
        return
    _registered = True
    import importlib
    import pkgutil

    import socialdesk.commands as commands

    for module in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
        register = getattr(importlib.import_module(f"socialdesk.commands.{module}"), "register", None)
        if register is not None:
            register(app)


def _one_line(message: object) -> str:
    """An error message as one line safe for a terminal (it may quote a hostile file or argument)."""
    from socialdesk.sanitize import clean

    return clean(str(message), single_line=True)


def _takes_value(option: object) -> bool:
    return not (getattr(option, "is_flag", False) or getattr(option, "count", False))


def global_options_first(args: list[str]) -> list[str]:
    """The root options typed after the command (`socialdesk demo --offline`) moved before it.

    Click reads a group's options only before its command; agents type them anywhere. A command's
    own option of the same name, and any option's value, stay where they are; nothing after `--` moves.
    """
    import typer.main

    command: Any = typer.main.get_command(app)
    index = 0
    while index < len(args) and args[index].startswith("-"):  # the root options already first
        name, eq, _ = args[index].partition("=")
        index += 2 if name in ROOT_VALUE_OPTIONS and not eq else 1
    head, rest = args[:index], args[index:]
    context = typer.Context(command)
    kept: list[str] = []
    moved: list[str] = []
    position = 0
    while position < len(rest) and hasattr(command, "get_command"):  # a group: walk to its command
        sub = command.get_command(context, rest[position])
        if sub is None:
            return args  # not a command: typer says so
        kept.append(rest[position])
        command, position = sub, position + 1
    own = {name: param for param in command.params for name in getattr(param, "opts", ())}
    while position < len(rest):
        arg = rest[position]
        name, eq, _ = arg.partition("=")
        if arg == "--":
            kept += rest[position:]
            break
        width = (
            2 if ((name in own and _takes_value(own[name])) or name in ROOT_VALUE_OPTIONS) and not eq else 1
        )
        target = (
            moved if name not in own and (name in ROOT_VALUE_OPTIONS or name in ROOT_FLAG_OPTIONS) else kept
        )
        target += rest[position : position + width]
        position += width
    return [*head, *moved, *kept]


def main(argv: list[str] | None = None) -> None:
    """Run the typer CLI, turning every user error into one line on stderr and exit code 1."""
    args = sys.argv[1:] if argv is None else argv
    # Just opening the desk needs no subcommand: importing and registering them would only delay it.
    if not _only_opens_the_desk(args):
        _register_commands()
        argv = global_options_first(list(args))
    try:
        code = app(args=argv, standalone_mode=False, prog_name="socialdesk")
        # Outside standalone mode typer returns a command's `typer.Exit` code (and 130 for Ctrl-C)
        # instead of raising it, and a failed `sync --once` must still exit non-zero.
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        typer.echo(f"socialdesk: error: {_one_line(exc)}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("socialdesk: aborted", err=True)
        sys.exit(130)
    except ClickException as exc:
        typer.echo(f"socialdesk: error: {_one_line(exc.format_message())} (see socialdesk --help)", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # never a traceback: a known cause in one line, else a log file and its path
        from socialdesk import crash

        typer.echo(f"socialdesk: error: {crash.one_line(exc)}", err=True)
        sys.exit(1)
