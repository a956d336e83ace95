"""`socialdesk rules explain POST` (why a post is where it is) and `rules apply` (re-triage the cache)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import msgspec
import typer

from socialdesk.commands import warn
from socialdesk.commands.triage import print_report, rules_app, since_time
from socialdesk.context import Context, from_typer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from socialdesk.services.automations import Automation
    from socialdesk.services.rules import Triager

_PLAYBOOK_HELP = "Playbook to use (default: the configured one, or its last good version when broken)."


def _triager(context: Context, playbook: Path | None) -> tuple[Triager, str]:
    """The candidate playbook's Triager, checked; else the one the desk and sync use now."""
    triager, source, _ = _playbook(context, playbook)
    return triager, source


def _playbook(context: Context, playbook: Path | None) -> tuple[Triager, str, tuple[Automation, ...]]:
    """`_triager`, with the playbook's automations."""
    if playbook is not None:
        from socialdesk.commands.playbook import require_valid
        from socialdesk.services.automations import parse_automations
        from socialdesk.services.rules import Triager
        from socialdesk.services.sla_policy import parse_escalation

        checked = require_valid(context, playbook)
        roles = parse_escalation(checked.section("escalation"), checked.source)
        triager = Triager.from_playbook(checked, context.settings.sla)
        return triager, str(playbook), tuple(parse_automations(checked, roles))
    from socialdesk.services.playbook_keeper import keeper_for

    state = keeper_for(context).current()
    if state.refused:
        warn(state.refused)
    return state.triager, state.playbook.source, state.automations


def print_explanation(
    context: Context,
    triager: Triager,
    post_id: int,
    as_json: bool,
    automations: Sequence[Automation] = (),
) -> None:
    """Explain one cached post's triage and the automations on its conversation (plain lines, or JSON)."""
    from socialdesk.sanitize import clean, json_dumps
    from socialdesk.services.rules_explain import explain_stored

    explanation = explain_stored(context.store, triager, post_id, automations)
    if as_json:
        data = {
            "post": post_id,
            "fired": [msgspec.to_builtins(f) for f in explanation.fired],
            "stopped_by": explanation.stopped_by or None,
            "not_evaluated": explanation.skipped,
            "result": {
                "priority": explanation.triage.priority,
                "actionable": explanation.triage.actionable,
                "tags": list(explanation.triage.tags),
                "assigned_to": explanation.triage.assigned_to,
            },
            "stored": explanation.stored or {},
            "automations": explanation.automations,
        }
        typer.echo(json_dumps(data, indent=2))  # post text escaped: never a raw control
        return
    lines = explanation.lines()
    typer.echo(clean(lines[0], single_line=True))
    # Posts are hostile input: one cleaned line, never markup.
    typer.echo("  " + clean(explanation.post.text, single_line=True)[:200])
    for line in lines[1:]:
        typer.echo(clean(line, single_line=True))


@rules_app.command("explain")
def rules_explain(
    ctx: typer.Context,
    post: Annotated[int, typer.Argument(help="The cached post's id (as the desk and `rules test` show it).")],
    playbook: Annotated[Optional[Path], typer.Option("--playbook", help=_PLAYBOOK_HELP)] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Why a post is where it is: the rules that fired, in order, what each set, where `stop` cut in."""
    context = from_typer(ctx)
    triager, _, automations = _playbook(context, playbook)
    print_explanation(context, triager, post, as_json, automations)


@rules_app.command("apply")
def rules_apply(
    ctx: typer.Context,
    since: Annotated[str, typer.Option("--since", help="How far back: 30d, 24h, 2w.")] = "30d",
    playbook: Annotated[Optional[Path], typer.Option("--playbook", help=_PLAYBOOK_HELP)] = None,  # noqa: UP045
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
) -> None:
    """Re-triage the cached posts with the playbook: the dry run's review first, then the changes."""
    from socialdesk.services.rules_review import apply_review, dry_run

    context = from_typer(ctx)
    triager, source = _triager(context, playbook)
    start = since_time(since, time.time())
    report = dry_run(context.store, triager, start, diff=True)
    print_report(report, source)
    if not report["changed"]:
        typer.echo("nothing to change")
        return
    if not yes:
        typer.confirm(f"Apply these changes to {report['changed']} posts?", abort=True)
    applied = apply_review(context.store, triager, start, context.agent.name, source)
    typer.echo(f"re-triaged: {applied} posts changed")
