"""`socialdesk bench`: the performance suite on a generated million-post cache (see socialdesk.bench)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the `bench` command to the CLI."""

    @app.command("bench")
    def bench(
        posts: Annotated[
            int, typer.Option("--posts", min=1000, help="Posts in the generated cache.")
        ] = 1_000_000,
        out: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("--out", help="Results JSON (default .bench/results.json)."),
        ] = None,
        cache_dir: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option(
                "--cache-dir", help="Where generated caches are kept (default ~/.cache/socialdesk-bench)."
            ),
        ] = None,
        quick: Annotated[bool, typer.Option("--quick", help="Fewer repetitions and smaller sizes.")] = False,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="Also print the table in Markdown.")
        ] = False,
        only: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(
                "--only",
                help="Measure only these groups of figures, comma-separated: startup, first-screen, keys, "
                "search, ingest, composer, thread, patterns.",
            ),
        ] = None,
        team: Annotated[
            bool, typer.Option("--team", help="The team suite instead: desks claiming on PostgreSQL.")
        ] = False,
        team_url: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option("--team-url", help="PostgreSQL URL of a role that may create databases."),
        ] = None,
    ) -> None:
        """Measure start-up, memory, key latency, search, ingest, the counter and thread opening."""
        if team:
            from socialdesk.bench import hub_failover
            from socialdesk.bench import team as team_suite
            from socialdesk.errors import UserError

            if not team_url:
                raise UserError("bench --team: give --team-url postgresql://USER@HOST:PORT/DBNAME")
            claims = 2_000 if quick else 100_000
            passed = team_suite.run(team_url, (20, 200), claims, say=typer.echo)
            if not hub_failover.report(
                hub_failover.measure(team_url, 3 if quick else 10, typer.echo), typer.echo
            ):
                passed = False
            if not passed:
                raise typer.Exit(1)
            return
        from socialdesk.bench import report, suite
        from socialdesk.errors import UserError

        groups = frozenset(g.strip() for g in (only or "").split(",") if g.strip())
        try:
            options = suite.Options.make(posts, cache_dir, out, quick, groups)
        except ValueError as exc:
            raise UserError(f"bench --only: {exc}") from None
        results = suite.run(options, say=typer.echo)
        typer.echo("")
        typer.echo(report.table(results))
        if markdown:
            typer.echo("")
            typer.echo(report.markdown(results))
        typer.echo(f"\nresults: {(out or suite.DEFAULT_OUT)}")
        if not results["passed"]:
            raise typer.Exit(1)
