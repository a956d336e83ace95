"""The `socialdesk` command: opens the desk, runs headless sync, lists connectors, exports.

Heavy modules (Textual, the connectors) are imported inside the commands that need them, so
`socialdesk --help` and scripted commands start fast.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from socialdesk import __version__, locations
from socialdesk.config import load as load_settings
from socialdesk.context import Context, from_typer
from socialdesk.errors import UserError

try:  # recent typer vendors its own copy of click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import ClickException  # type: ignore[assignment]

if TYPE_CHECKING:
    from socialdesk.app import SocialDeskApp
    from socialdesk.services.sync import Source

app = typer.Typer(
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


def build_context(
    db: Path | None = None,
    config: Path | None = None,
    theme: str | None = None,
    offline: bool = False,
    force_demo: bool = False,
) -> Context:
    """Settings, workspace and cache path for one run, from flags, config and defaults.

    Raises:
        UserError: unreadable/invalid config, or an unknown theme.
    """
    settings = load_settings(config or locations.config_file(), required=config is not None)
    demo = force_demo or not settings.accounts
    if db is not None:
        db_path = db
    elif demo:
        db_path = locations.demo_db()
    elif settings.desk.db:
        db_path = Path(settings.desk.db).expanduser()
    else:
        db_path = locations.workspace_db()
    if theme is not None:
        from socialdesk.themes_loader import theme_names

        names = theme_names()
        if theme not in names:
            raise UserError(f"--theme: unknown theme {theme!r} (available: {', '.join(names)})")
    if db_path.exists() and db_path.is_dir():
        raise UserError(f"--db: {db_path} is a directory, not a database file")
    return Context(
        settings=settings, db_path=db_path, demo=demo, offline=offline or settings.desk.offline, theme=theme
    )


def workspace_sources(ctx: Context) -> list[Source]:
    """The sources to sync: the demo network, or every enabled configured account."""
    from socialdesk.services.sync import Source

    if ctx.demo:
        from socialdesk.connectors.demo import DemoConnector

        return [Source("demo", DemoConnector(account="demo"))]
    from socialdesk.services.accounts import build_connector

    return [
        Source(a.name, build_connector(a, ctx.settings.source)) for a in ctx.settings.accounts if a.enabled
    ]


def workspace_triage(ctx: Context):  # type: ignore[no-untyped-def]
    """The triage function the sync path applies to new posts (None if the triage service is absent)."""
    try:
        from socialdesk.services.triage_setup import build_triage
    except ImportError:
        return None
    return build_triage(ctx)


def make_app(ctx: Context, sync: bool = True, sources: list[Source] | None = None) -> SocialDeskApp:
    """The desk app for a context (the CLI and the tests build it the same way)."""
    from socialdesk.app import SocialDeskApp

    ctx.store  # noqa: B018 - open and migrate the cache before any worker needs it
    interval = 3.0 if ctx.demo else None  # the demo network is live: new posts every few seconds
    app = SocialDeskApp(
        ctx,
        sources=workspace_sources(ctx) if sources is None else sources,
        triage=partial(workspace_triage, ctx),
        sync=sync,
        sync_interval=interval,
    )
    # Read the first feed page (a keyset page: ~2 ms) while no UI exists yet, so the first frame
    # shows it; from the UI, a worker's read waits for the screen to finish mounting.
    app.desk.preload()
    return app


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
    ctx.obj = build_context(db, config, theme, offline, force_demo=ctx.invoked_subcommand == "demo")
    if ctx.invoked_subcommand is None:
        make_app(ctx.obj).run()


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
    make_app(context).run()


@app.command()
def sync(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Sync every account once and exit.")] = False,
) -> None:
    """Sync headless (no UI): `--once` for one round, otherwise keep syncing until interrupted."""
    import time

    from socialdesk.services.sync import sync_source

    context = from_typer(ctx)
    if context.offline:
        raise UserError("sync: --offline is set; nothing to do")
    sources = workspace_sources(context)
    triage = workspace_triage(context)
    failed = False
    while True:
        for source in sources:
            report = sync_source(context.store, source, triage)
            line = f"{source.name}: {report.state} · {len(report.new_ids)} new · {report.updated} updated"
            if report.quarantined:
                line += f" · {report.quarantined} quarantined"
            if report.message:
                line += f" · {report.message}"
            typer.echo(line)
            failed = failed or report.state not in ("ok", "rate-limited")
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

# The root command's options (see `root`); a test keeps this in step with its signature.
ROOT_VALUE_OPTIONS = frozenset({"--db", "--config", "--theme"})
ROOT_FLAG_OPTIONS = frozenset({"--offline"})


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


def _only_opens_the_desk(argv: list[str]) -> bool:
    """Whether `argv` is just root options (`socialdesk [--db F] [--offline] ...`): it opens the desk.

    Then no subcommand module is needed, and importing and registering them all would only delay
    the first frame. Anything else (a command name, --help, --version, an unknown option) goes the
    full way, so help, completion of the command list and every error message stay as they were.
    """
    args = iter(argv)
    for arg in args:
        if arg in ROOT_VALUE_OPTIONS:
            if next(args, None) is None:
                return False  # let typer report the missing value
        elif arg not in ROOT_FLAG_OPTIONS and arg.partition("=")[0] not in ROOT_VALUE_OPTIONS:
            return False
    return True


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every user error into one line on stderr and exit code 1."""
    if not _only_opens_the_desk(sys.argv[1:] if argv is None else argv):
        _register_commands()
    try:
        app(args=argv, standalone_mode=False, prog_name="socialdesk")
    except UserError as exc:
        typer.echo(f"socialdesk: error: {exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("socialdesk: aborted", err=True)
        sys.exit(130)
    except ClickException as exc:
        typer.echo(f"socialdesk: error: {exc.format_message()} (see socialdesk --help)", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
