"""`socialdesk rules test` (a playbook's dry run over cached posts) and `socialdesk audit`."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from socialdesk.context import from_typer
from socialdesk.errors import UserError

rules_app = typer.Typer(help="Check the playbook's triage rules.", no_args_is_help=True)
_SPAN = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_EXAMPLES_PER_TAG = 3


def _since(value: str, now: float) -> float:
    unit = value[-1:].casefold()
    if unit not in _SPAN or not value[:-1].isdigit():
        raise UserError(f"--since: wants a span like 30d, 24h or 2w, got {value!r}")
    return now - int(value[:-1]) * _SPAN[unit]


def dry_run(store: Any, triager: Any, since: float, page_size: int = 500) -> dict[str, Any]:
    """What `triager` would do to the inbound posts cached since `since` (paged; never loads all).

    Returns:
        Counts per tag, priority, intent, sentiment and actionable, plus a few examples per tag.
    """
    from socialdesk.store.queue_queries import stored_posts_page

    tags: Counter[str] = Counter()
    priorities: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    sentiments: Counter[str] = Counter()
    actionable: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    total = 0
    after: tuple[float, int] | None = None
    while True:
        page = stored_posts_page(store.conn, since, after, page_size)
        if not page:
            break
        posts = [p for _, p in page]
        for (post_id, post), tri in zip(page, triager.triage_many(posts, store), strict=True):
            total += 1
            priorities[str(tri.priority)] += 1
            intents[tri.intent] += 1
            sentiments[tri.sentiment_label] += 1
            actionable["yes" if tri.actionable else "no"] += 1
            for tag in tri.tags:
                tags[tag] += 1
                shown = examples.setdefault(tag, [])
                if len(shown) < _EXAMPLES_PER_TAG:
                    shown.append(
                        {
                            "id": post_id,
                            "author": post.author.handle,
                            "text": post.text[:140],
                            "priority": tri.priority,
                        }
                    )
        last_id, last = page[-1]
        after = (last.created_at, last_id)
    return {
        "posts": total,
        "tags": dict(tags.most_common()),
        "priority": dict(sorted(priorities.items())),
        "intent": dict(intents.most_common()),
        "sentiment": dict(sentiments.most_common()),
        "actionable": dict(actionable),
        "examples": examples,
    }


def _print_report(report: dict[str, Any], source: str) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from socialdesk.sanitize import clean
    from socialdesk.services.rules import PRIORITY_NAMES

    console = Console(highlight=False)
    console.print(Text(f"{source}: {report['posts']} cached posts"))
    for title, counts, names in (
        ("priority", report["priority"], lambda k: f"{k} {PRIORITY_NAMES[int(k)]}"),
        ("actionable", report["actionable"], str),
        ("intent", report["intent"], str),
        ("sentiment", report["sentiment"], str),
        ("tag", report["tags"], str),
    ):
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        for key, value in counts.items():
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


@rules_app.command("test")
def rules_test(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="How far back: 30d, 24h, 2w.")] = "30d",
    playbook: Annotated[
        Optional[Path], typer.Option("--playbook", help="Playbook to try (default: the configured one).")  # noqa: UP045
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Dry run: what a playbook would do to the cached posts (nothing is changed)."""
    from socialdesk.commands.playbook import require_valid
    from socialdesk.services.rules import Triager

    context = from_typer(ctx)
    triager = Triager.from_playbook(require_valid(context, playbook), context.settings.sla)
    report = dry_run(context.store, triager, _since(since, time.time()))
    source = str(playbook) if playbook else (context.settings.desk.playbook or "bundled playbook")
    if as_json:
        typer.echo(json.dumps({"playbook": source, **report}, ensure_ascii=False, indent=2))
    else:
        _print_report(report, source)


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
                    json.dumps(
                        {
                            "id": e.id,
                            "at": e.at,
                            "agent": e.agent,
                            "action": e.action,
                            "post_id": e.post_id,
                            "detail": e.detail,
                        },
                        ensure_ascii=False,
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
