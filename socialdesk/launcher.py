"""Opens the desk without typer (the console script's entry point); anything else goes to socialdesk.cli."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialdesk import locations
from socialdesk.config import load as load_settings
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.memory import collection_paused_until_first_page

if TYPE_CHECKING:
    import sqlite3

    from socialdesk.app import SocialDeskApp
    from socialdesk.services.sync import Source
    from socialdesk.services.triage_setup import KeptTriage

# The root command's options (`socialdesk.cli.root`) and how each value is read; a test keeps these in
# step with that command's real options and checks that both paths build the same Context.
_ROOT_VALUES: dict[str, Callable[[str], Any]] = {"--db": Path, "--config": Path, "--theme": str}
ROOT_VALUE_OPTIONS = frozenset(_ROOT_VALUES)
ROOT_FLAG_OPTIONS = frozenset({"--offline"})


def build_context(
    db: Path | None = None,
    config: Path | None = None,
    theme: str | None = None,
    offline: bool = False,
    force_demo: bool = False,
    config_may_be_new: bool = False,
    real_workspace: bool = False,
) -> Context:
    """Settings, workspace and cache path for one run, from flags, config and defaults.

    With nothing configured the demo workspace opens, unless the workspace's cache exists (posts were
    imported into it, or its accounts removed): that is shown, synced with nothing.

    Args:
        config_may_be_new: a `config` that does not exist yet is fine (the command creates it).
        real_workspace: the command fills the workspace (`import`): never the demo's cache, so what it
            brings is there when the desk opens, before and after `accounts add`.

    Raises:
        UserError: unreadable/invalid config, or an unknown theme.
    """
    path = config or locations.config_file()
    settings = load_settings(path, required=config is not None and not config_may_be_new)
    if config is not None and not config.exists():
        settings.source = str(config)  # where `accounts add` writes it
    workspace = Path(settings.desk.db).expanduser() if settings.desk.db else locations.workspace_db()
    # A team desk needs no account of its own: the hub syncs the team's, its cache is the workspace's.
    configured = bool(settings.accounts) or bool(settings.team.url)
    demo = force_demo or (not configured and not real_workspace and not workspace.exists())
    if db is not None:
        db_path = db
    elif demo:
        db_path = locations.demo_db()
    else:
        db_path = workspace
    if theme is not None:
        from socialdesk.themes_loader import theme_names

        names = theme_names()
        if theme not in names:
            raise UserError(f"--theme: unknown theme {theme!r} (available: {', '.join(names)})")
    if db_path.exists() and db_path.is_dir():
        raise UserError(f"--db: {db_path} is a directory, not a database file")
    ctx = Context(
        settings=settings, db_path=db_path, demo=demo, offline=offline or settings.desk.offline, theme=theme
    )
    if demo and db_path.exists() and not _holds_only_demo(ctx):
        if force_demo:
            raise UserError(
                f"--db: {db_path} is a real workspace's cache, not the demo's; the demo opens only its "
                "own (run `socialdesk demo` without --db)"
            )
        ctx.demo = False  # a real cache and no accounts: show it, sync nothing, send nothing
    return ctx


def _holds_only_demo(ctx: Context) -> bool:
    """`holds_only_demo` for the context's existing cache, on the cache's own connection when opening it
    writes nothing (a connection reads the cache's whole schema on its first statement: once, not twice).
    """
    from socialdesk.store.migrate import opens_unchanged

    if not opens_unchanged(ctx.db_path):
        return holds_only_demo(ctx.db_path)  # before opening it: opening would migrate it
    return holds_only_demo(ctx.store.conn)  # opened for the desk, which shows it whichever it holds


def holds_only_demo(cache: Path | sqlite3.Connection) -> bool:
    """Whether an existing cache holds nothing but the demo workspace's posts and replies.

    The demo network (which plays several networks) files everything under its workspace account,
    named after the network (`capabilities.embedded_network`). Given a path, the file is read on a
    read-only connection, before the cache is opened (opening migrates it): the demo never writes a
    cache that is not its own. A file that is not a readable cache does not count as the demo's.
    """
    import sqlite3

    if isinstance(cache, sqlite3.Connection):
        return _only_demo_rows(cache)
    try:
        conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        return _only_demo_rows(conn)
    finally:
        conn.close()


def _only_demo_rows(conn: sqlite3.Connection) -> bool:
    """Whether no post or reply on `conn` is filed under another account than the demo's.

    With no index on the account, a cache of nothing but the demo's posts is read whole (every other
    cache stops at its first post of another account).
    """
    import sqlite3

    from socialdesk.capabilities import embedded_network

    account = embedded_network()
    try:
        for table in ("posts", "replies"):
            try:
                if conn.execute(f"SELECT 1 FROM {table} WHERE account != ? LIMIT 1", (account,)).fetchone():
                    return False
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    return False
        return True
    except sqlite3.DatabaseError:
        return False


def workspace_sources(ctx: Context) -> list[Source]:
    """The sources to sync: the demo network, or every enabled configured account."""
    from socialdesk.services.sync import Source

    if ctx.demo:  # the network that lives in this process, under its own workspace account
        from socialdesk.capabilities import embedded_network
        from socialdesk.connectors.registry import load_connector

        name = embedded_network()
        return [Source(name, load_connector(name)(account=name))]
    from socialdesk.services.accounts import build_connector

    return [
        Source(a.name, build_connector(a, ctx.settings.source)) for a in ctx.settings.accounts if a.enabled
    ]


def workspace_triage(ctx: Context) -> KeptTriage | None:
    """The triage function the sync path applies to new posts (None if the triage service is absent)."""
    try:
        from socialdesk.services.triage_setup import build_triage
    except ImportError:
        return None
    return build_triage(ctx)


def make_app(
    ctx: Context, sync: bool = True, sources: list[Source] | None = None, ask_agent: bool = False
) -> SocialDeskApp:
    """The desk app for a context (the CLI and the tests build it the same way).

    With `ask_agent`, a first run (no agent name configured) asks the agent's name before anything
    signs a reply with the placeholder.
    """
    from socialdesk.app import SocialDeskApp
    from socialdesk.frames import pace_frames
    from socialdesk.themes_loader import load_themes

    themes = load_themes()  # read once: checked here, registered by the app
    if ctx.theme is None:
        names = [theme.name for theme in themes]
        if ctx.settings.desk.theme not in names:
            raise UserError(
                f"{ctx.settings.source}: desk.theme: unknown theme {ctx.settings.desk.theme!r} "
                f"(available: {', '.join(names)})"
            )
    if ctx.settings.desk.images == "terminal":
        from socialdesk.widgets import terminal_images

        terminal_images.prepare()  # asks the terminal what it draws: once Textual runs, it cannot
    pace_frames()
    ctx.store  # noqa: B018 - open and migrate the cache before any worker needs it
    interval = 3.0 if ctx.demo else None  # the demo network is live: new posts every few seconds
    app = SocialDeskApp(
        ctx,
        sources=partial(workspace_sources, ctx) if sources is None else sources,
        triage=partial(workspace_triage, ctx),
        sync=sync,
        sync_interval=interval,
        themes=themes,
    )
    # Read the first feed page (a keyset page: ~2 ms) while no UI exists yet, so the first frame
    # shows it; from the UI, a worker's read waits for the screen to finish mounting.
    app.desk.preload()
    app.desk.ask_agent_name = ask_agent
    return app


def desk_options(argv: list[str]) -> dict[str, Any] | None:
    """The root options in `argv` as `build_context` arguments, or None unless that is all it holds.

    Only `--opt value`, `--opt=value` (a repeated option: the last wins, as in typer) and the flags
    are read here. Anything else (a command, --help, --version, an unknown option, a missing value)
    gives None and goes to typer, so help and every error message stay typer's.
    """
    options: dict[str, Any] = {}
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if arg in ROOT_FLAG_OPTIONS:
            options[arg[2:]] = True
        elif name in ROOT_VALUE_OPTIONS:
            if not eq:
                following = next(args, None)
                if following is None:
                    return None  # typer reports the missing value
                value = following
            options[name[2:]] = _ROOT_VALUES[name](value)
        else:
            return None
    return options


def _only_opens_the_desk(argv: list[str]) -> bool:
    """Whether `argv` is just root options (`socialdesk [--db F] [--offline] ...`): it opens the desk."""
    return desk_options(argv) is not None


def main(argv: list[str] | None = None) -> None:
    """The `socialdesk` command: open the desk straight away, or hand the arguments to the typer CLI.

    typer (and the pydantic it imports) costs ~100 ms of start-up before the first frame, so the
    common case, opening the desk, parses its few options here; the errors look as in `cli.main`.
    """
    options = desk_options(sys.argv[1:] if argv is None else argv)
    if options is None:
        from socialdesk import cli

        cli.main(argv)
        return
    try:
        with collection_paused_until_first_page():
            run_desk(make_app(build_context(**options), ask_agent=True))
    except UserError as exc:
        from socialdesk.sanitize import clean

        print(f"socialdesk: error: {clean(str(exc), single_line=True)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # as in cli.main: one line, never a traceback
        from socialdesk import crash

        print(f"socialdesk: error: {crash.one_line(exc)}", file=sys.stderr)
        sys.exit(1)


def run_desk(app: SocialDeskApp) -> None:
    """Run the desk; when it stopped on an error, say so in one line (the log has the rest), exit 1."""
    app.run()
    crashed = app.crash
    if crashed is not None:
        print(f"socialdesk: error: the desk stopped: {crashed}", file=sys.stderr)
        sys.exit(1)
    if app.return_code:
        sys.exit(app.return_code)
