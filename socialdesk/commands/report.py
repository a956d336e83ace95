"""`socialdesk report`: the team's figures for a period, as a table, Markdown, CSV or JSON."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from socialdesk.commands import Group
from socialdesk.context import from_typer
from socialdesk.errors import UserError

if TYPE_CHECKING:
    from socialdesk.services.metrics import Report


report_app = typer.Typer(
    cls=Group,
    invoke_without_command=True,
    no_args_is_help=False,
    help="The team's figures for a period; `report feedback` lists product feedback.",
)


@report_app.callback()
def report(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="Start: today, 24h, 7d, 2w or a date.")] = "7d",
    until: Annotated[
        Optional[str], typer.Option("--until", help="End: a date or time (default: now).")  # noqa: UP045
    ] = None,
    by: Annotated[
        Optional[str], typer.Option("--by", help="Break down by agent, network, queue or tag.")  # noqa: UP045
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, md, csv or json.")] = "table",
) -> None:
    """Volume, response and resolution times, SLA, replies, satisfaction and backlog, against the
    previous period; `report feedback` lists the product feedback."""
    if ctx.invoked_subcommand is not None:
        return
    from socialdesk.services import metrics_format as out
    from socialdesk.services.hours import desk_hours
    from socialdesk.services.metrics import Metrics, parse_period, queue_filters

    if fmt not in out.FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(out.FORMATS)}")
    context = from_typer(ctx)
    hours = desk_hours(context.settings)
    metrics = Metrics(context.store, hours, queues=lambda: queue_filters(context.settings))
    result = metrics.report(parse_period(since, until, metrics.clock(), hours), by=by)
    if fmt == "json":
        typer.echo(out.as_json(result, hours.zone))
    elif fmt == "csv":
        typer.echo(out.as_csv(result), nl=False)
    elif fmt == "md":
        typer.echo(out.as_markdown(result, hours.zone), nl=False)
    else:
        _print_table(result)


def _print_table(result: Report) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from socialdesk.services import metrics_format as out

    console = Console(highlight=False)
    table = Table(title=Text(result.period.label), title_justify="left")
    table.add_column("Figure")
    for name in ("This period", "Previous", "Change"):
        table.add_column(name, justify="right")
    for row in out.as_table_rows(result):
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    backlog = result.backlog
    console.print(
        f"Backlog now: {backlog.size:,} open ({backlog.older_than_hour:,} older than 1 h)", markup=False
    )
    if result.groups:
        header, group_rows = out.group_rows(result)
        groups = Table()
        groups.add_column(header[0], no_wrap=True)
        for name in header[1:]:
            groups.add_column(name, justify="right")
        for cells in group_rows:
            groups.add_row(*(Text(cell) for cell in cells))  # names and tags come from posts: never markup
        console.print(groups)


@report_app.command("feedback")
def feedback(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="Start: today, 24h, 7d, 2w or a date.")] = "30d",
    until: Annotated[
        Optional[str], typer.Option("--until", help="End: a date or time (default: now).")  # noqa: UP045
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or md.")] = "md",
) -> None:
    """Posts tagged idea, feedback or feature-request, grouped by what they say, with how many
    customers said each, newest first."""
    from socialdesk.services import feedback as fb
    from socialdesk.services.hours import desk_hours
    from socialdesk.services.metrics import parse_period

    if fmt not in fb.FORMATS:
        raise UserError(f"--format {fmt!r}: choose one of {', '.join(fb.FORMATS)}")
    context = from_typer(ctx)
    hours = desk_hours(context.settings)
    period = parse_period(since, until, time.time(), hours)
    items = fb.feedback(context.store.conn, period.since, period.until)
    if fmt == "csv":
        typer.echo(fb.as_csv(items, hours.zone), nl=False)
    else:
        typer.echo(fb.as_markdown(items, hours.zone, period.label), nl=False)


def register(app: typer.Typer) -> None:
    """Add `report` and `report feedback` to the CLI."""
    app.add_typer(report_app, name="report")
