"""`socialdesk hub`: the one process that talks to the networks for a team (README: Team, "The hub")."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path
from typing import Annotated, Optional

import typer

from socialdesk.context import from_typer
from socialdesk.errors import UserError


def hub(
    ctx: typer.Context,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--name", help="This hub's name in the lease table (default: HOST:PID)."),
    ] = None,
    lease: Annotated[float, typer.Option("--lease", help="Seconds a lead lasts unless renewed.")] = 15.0,
    poll: Annotated[float, typer.Option("--poll", help="Seconds between leadership rounds.")] = 1.0,
    reconcile_delay: Annotated[
        float,
        typer.Option(
            "--reconcile-delay", help="Seconds before a dead leader's unfinished send is looked for."
        ),
    ] = 30.0,
    cache: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--cache", help="The hub's own cache (default: hub.db beside the desk's cache)."),
    ] = None,
) -> None:
    """Sync every account into the team database and send its shared outbox, leading each account
    that no other live hub leads; runs until interrupted."""
    from socialdesk.hub.runner import Hub
    from socialdesk.launcher import workspace_sources, workspace_triage
    from socialdesk.services.outbox_worker import resolver_for
    from socialdesk.services.playbook_keeper import keeper_for
    from socialdesk.store import Store
    from socialdesk.team.connect import connect, safe_url
    from socialdesk.team.migrate import require_current

    context = from_typer(ctx)
    url = context.settings.team.url
    if not url:
        raise UserError(f"hub: set [team] url in {context.settings.source} (README: Team)")
    if context.offline:
        raise UserError("hub: --offline is set; a hub talks to the networks")
    if lease <= 0 or poll <= 0 or poll * 2 >= lease:
        raise UserError(
            "hub: --poll must be positive and under half of --lease (a lead is renewed every poll)"
        )
    where = f"{context.settings.source}: team.url"
    with connect(url, where=where) as conn:
        require_current(conn)
    sources = workspace_sources(context)
    if not sources:
        raise UserError("hub: no accounts configured (add one with `socialdesk accounts add`)")
    holder = name or f"{socket.gethostname()}:{os.getpid()}"
    the_hub = Hub(
        connect=lambda: connect(url, where=where),
        holder=holder,
        sources=sources,
        resolve=resolver_for(context),
        store=Store(cache or context.db_path.with_name("hub.db")),
        triage=workspace_triage(context),
        lease=lease,
        poll=poll,
        sync_interval=context.settings.desk.sync_interval,
        reconcile_delay=reconcile_delay,
        say=lambda line: typer.echo(line, err=False),
        # The team's automations follow this hub's playbook (desk.playbook), re-read when it changes.
        automations=lambda: keeper_for(context).current().automations,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    accounts = ", ".join(s.name for s in sources)
    typer.echo(f"hub {holder}: {accounts} on {safe_url(url)} (lease {lease:g} s)")
    try:
        the_hub.run(stop)
    except KeyboardInterrupt:
        stop.set()
    typer.echo(f"hub {holder}: stopped")


def register(app: typer.Typer) -> None:
    """Add `socialdesk hub` to the socialdesk command."""
    app.command("hub")(hub)
