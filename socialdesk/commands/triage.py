"""`socialdesk rules test` (a playbook's dry run over cached posts) and `socialdesk audit`."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from socialdesk.commands import Group
from socialdesk.context import from_typer
from socialdesk.errors import UserError
from socialdesk.sanitize import json_dumps
from socialdesk.services.rules_review import DryRunReport, dry_run

__all__ = ["dry_run", "rules_app"]

rules_app = typer.Typer(cls=Group, help="Check the playbook's triage rules.", no_args_is_help=True)
_SPAN = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def since_time(value: str, now: float) -> float:
    unit = value[-1:].casefold()
    if unit not in _SPAN or not value[:-1].isdigit():
        raise UserError(f"--since: wants a span like 30d, 24h or 2w, got {value!r}")
    return now - int(value[:-1]) * _SPAN[unit]


def print_report(report: DryRunReport, source: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from socialdesk.sanitize import clean
    from socialdesk.services.rules import PRIORITY_NAMES

    console = Console(highlight=False)
    console.print(Text(f"{source}: {report['posts']} cached posts"))
    rules = Table(title="rules (playbook order)", title_justify="left", box=None)
    for column in ("rule", "hits", "made not actionable", "live 1h", "24h", "7d"):
        rules.add_column(column, justify="left" if column == "rule" else "right")
    for name, counts in report["rules"].items():
        live = counts["live"]
        rules.add_row(
            Text(clean(name, single_line=True)),
            str(counts["hits"]),
            str(len(counts["made_not_actionable"])),
            *(str(live[span]) for span in ("1h", "24h", "7d")),
        )
    console.print(rules)
    for warning in report["warnings"]:
        console.print(Text(f"warning: {clean(warning, single_line=True)}", style="bold"))
    for title, tally, names in (
        ("priority", report["priority"], lambda k: f"{k} {PRIORITY_NAMES[int(k)]}"),
        ("actionable", report["actionable"], str),
        ("intent", report["intent"], str),
        ("sentiment", report["sentiment"], str),
        ("tag", report["tags"], str),
    ):
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        for key, value in tally.items():
            table.add_row(Text(names(key)), Text(str(value), justify="right"))
        console.print(table)
    for tag, shown in report["examples"].items():
        console.print(Text(f"examples of {tag}:", style="bold"))
        for ex in shown:
            # Posts are hostile input: plain Text after clean(), never markup.
            console.print(
                Text(
                    f"  #{ex['id']} {clean(ex['author'], single_line=True)}: "
                    f"{clean(ex['text'], single_line=True)}"
                )
            )
    for name, counts in report["rules"].items():
        for post in counts["made_not_actionable"]:
            console.print(
                Text(
                    f"{clean(name, single_line=True)} makes #{post['id']} not actionable: "
                    f"{clean(post['text'], single_line=True)}"
                )
            )
    if "changes" in report:
        console.print(Text(f"against what is stored: {report['changed']} posts would change", style="bold"))
        for change in report["changes"]:
            what = "; ".join(
                [f"{k} {' -> '.join(map(str, change[k]))}" for k in ("priority", "actionable") if k in change]
                + [f"{k} {change[k]}" for k in ("tags_added", "tags_removed", "assigned_to") if k in change]
            )
            console.print(Text(f"  #{change['id']} {clean(what, single_line=True)}"))


@rules_app.command("test")
def rules_test(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="How far back: 30d, 24h, 2w.")] = "30d",
    playbook: Annotated[
        Optional[Path], typer.Option("--playbook", help="Playbook to try (default: the configured one).")  # noqa: UP045
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON, with every post each rule fired on.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Also list what would change against the cache.")
    ] = False,
    post: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--post", help="Run one cached post through the playbook and explain it."),
    ] = None,
) -> None:
    """Dry run: what a playbook would do to the cached posts (nothing is changed)."""
    from socialdesk.commands.playbook import require_valid
    from socialdesk.services.rules import Triager

    context = from_typer(ctx)
    triager = Triager.from_playbook(require_valid(context, playbook), context.settings.sla)
    if post is not None:
        from socialdesk.commands.rules_review import print_explanation

        print_explanation(context, triager, post, as_json)
        return
    report = dry_run(context.store, triager, since_time(since, time.time()), diff=diff, all_posts=as_json)
    source = str(playbook) if playbook else (context.settings.desk.playbook or "bundled playbook")
    if as_json:
        typer.echo(json_dumps({"playbook": source, **report}, indent=2))
    else:
        print_report(report, source)


def audit(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest entries to show.")] = 100,
) -> None:
    """The audit log of agent actions (status, assignment, tags, notes, replies, approvals), newest first."""
    from socialdesk.sanitize import clean
    from socialdesk.store.queue_queries import audit_page

    context = from_typer(ctx)
    before: int | None = None
    left = limit
    while left > 0:
        entries, more = audit_page(context.store.conn, before, min(left, 500))
        for e in entries:
            if as_json:
                typer.echo(
                    json_dumps(
                        {
                            "id": e.id,
                            "at": e.at,
                            "agent": e.agent,
                            "action": e.action,
                            "post_id": e.post_id,
                            "detail": e.detail,
                        },
                    )
                )
            else:
                when = datetime.fromtimestamp(e.at).strftime("%Y-%m-%d %H:%M:%S")
                detail = " ".join(f"{k}={v}" for k, v in e.detail.items() if v is not None)
                post = f" post {e.post_id}" if e.post_id is not None else ""
                typer.echo(clean(f"{when} {e.agent} {e.action}{post} {detail}".rstrip(), single_line=True))
        left -= len(entries)
        if not more or not entries:
            break
        before = entries[-1].id


def register(app: typer.Typer) -> None:
    """Add `rules test` and `audit` to the socialdesk command."""
    app.add_typer(rules_app, name="rules")
    app.command("audit")(audit)
