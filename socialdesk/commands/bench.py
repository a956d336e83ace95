"""`socialdesk bench`: the performance suite on a generated million-post cache (see socialdesk.bench)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the `bench` command to the CLI."""

    @app.command("bench")
    def bench(
        ctx: typer.Context,
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
                "search, ingest, composer, thread, counts, patterns, soak (with --soak); with --team: work, "
                "race, desks, failover.",
            ),
        ] = None,
        soak: Annotated[
            float,
            typer.Option(
                "--soak",
                min=0,
                metavar="MINUTES",
                help="Also run a compressed shift this long (demo workspace, keys at 10/s, posts 10x).",
            ),
        ] = 0.0,
        compare: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option(
                "--compare", help="An earlier results JSON: print each figure beside it, flag regressions."
            ),
        ] = None,
        to: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("--to", help="With --compare: compare with this results JSON instead of measuring."),
        ] = None,
        save_noise: Annotated[
            bool,
            typer.Option(
                "--save-noise",
                help="With --compare and --to (two runs of one commit): store their differences as noise.",
            ),
        ] = False,
        team: Annotated[
            bool, typer.Option("--team", help="The team suite instead: desks claiming on PostgreSQL.")
        ] = False,
        team_url: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(
                "--team-url",
                help="PostgreSQL URL of a role that may create databases (default: [team] url; the "
                "password from the keyring, a 0600 file or libpq's, never the command line).",
            ),
        ] = None,
        desks: Annotated[
            str,
            typer.Option("--desks", metavar="N,N", help="With --team: the desk counts, comma-separated."),
        ] = "20,200",
    ) -> None:
        """Measure start-up, memory, key latency, search, ingest, the counter and thread opening."""
        if team:
            from socialdesk.bench import hub_failover
            from socialdesk.bench import team as team_suite
            from socialdesk.commands.team import team_url as configured_url
            from socialdesk.context import from_typer
            from socialdesk.errors import UserError
            from socialdesk.team.connect import connect

            try:
                groups = team_suite.parse_groups(only)
            except ValueError as exc:
                raise UserError(f"bench --team --only: {exc}") from None
            desk_counts = _desk_counts(desks)
            team_url, where = configured_url(
                from_typer(ctx), team_url, "bench --team: give --team-url postgresql://USER@HOST:PORT/DBNAME"
            )
            connect(team_url, where=where).close()  # a bad URL or password fails here, named as given
            claims = 2_000 if quick else 100_000
            passed = team_suite.run(team_url, desk_counts, claims, typer.echo, quick, groups)
            if "failover" in groups and not hub_failover.report(
                hub_failover.measure(team_url, 3 if quick else 10, typer.echo), typer.echo
            ):
                passed = False
            if not passed:
                raise typer.Exit(1)
            return
        from socialdesk.bench import report, suite
        from socialdesk.errors import UserError

        earlier = _read_results(compare, "--compare") if compare is not None else None
        if to is not None or save_noise:
            if earlier is None or compare is None:
                raise UserError("bench --to/--save-noise: give the earlier run with --compare OLD.json")
            if to is None:
                raise UserError(
                    "bench --save-noise: give the second run of the same commit with --to NEW.json"
                )
            _compare(earlier, _read_results(to, "--to"), compare, to, save_noise)
            return
        groups = frozenset(g.strip() for g in (only or "").split(",") if g.strip())
        try:
            options = suite.Options.make(posts, cache_dir, out, quick, groups, soak)
        except ValueError as exc:
            raise UserError(f"bench --only: {exc}") from None
        results = suite.run(options, say=typer.echo)
        typer.echo("")
        typer.echo(report.table(results))
        if markdown:
            typer.echo("")
            typer.echo(report.markdown(results))
        typer.echo(f"\nresults: {(out or suite.DEFAULT_OUT)}")
        if earlier is not None and compare is not None:
            _compare(earlier, results, compare, out or suite.DEFAULT_OUT, False)
        if not results["passed"]:
            raise typer.Exit(1)


def _desk_counts(text: str) -> tuple[int, ...]:
    """The desk counts `--desks` gives, in order; a clear error for anything but positive numbers."""
    from socialdesk.errors import UserError

    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise UserError(f"bench --desks: {text!r} is not a comma-separated list of desk counts, like 20,200")
    return counts


def _read_results(path: Path, option: str) -> dict[str, Any]:
    import json

    from socialdesk.errors import UserError

    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"bench {option}: cannot read {path}: {exc}") from None
    if not isinstance(results, dict) or not isinstance(results.get("figures"), list):
        raise UserError(f"bench {option}: {path} is not a results file of `socialdesk bench` (no figures)")
    return results


def _compare(
    old: dict[str, Any], new: dict[str, Any], old_path: Path, new_path: Path, save_noise: bool
) -> None:
    """Print the comparison (exit 1 on a regression), or store the two runs' differences as the noise."""
    import json

    from socialdesk.bench import compare
    from socialdesk.errors import UserError

    if save_noise:
        commits = {old.get("commit"), new.get("commit")}
        if len(commits) != 1 or not next(iter(commits)):
            raise UserError(f"bench --save-noise: {old_path} and {new_path} are not runs of one commit")
        model = compare.noise_between(old, new)
        compare.NOISE_FILE.write_text(
            json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        typer.echo(f"noise model of {len(model['figures'])} figures written to {compare.NOISE_FILE}")
        return
    rows = compare.compare(old, new, compare.load_noise())
    typer.echo("")
    typer.echo(compare.render(rows, old_path.name, new_path.name))
    if compare.regressed(rows):
        raise typer.Exit(1)
