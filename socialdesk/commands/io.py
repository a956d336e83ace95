"""`socialdesk import FILE` (JSONL) and `socialdesk doctor` (quarantine, auth, secret storage)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from socialdesk.commands import warn
from socialdesk.context import from_typer
from socialdesk.errors import UserError
from socialdesk.sanitize import clean

if TYPE_CHECKING:
    from socialdesk.store import Store


def _import_survey(ctx: typer.Context, path: Path) -> None:
    from socialdesk.services.survey_io import import_survey

    if not path.is_file():
        raise UserError(f"no such file: {path}")
    report = import_survey(from_typer(ctx).store, path)
    typer.echo(
        f"imported {report.imported} survey answers, {report.already} already imported"
        + (f"; {report.quarantined} lines quarantined (see `socialdesk doctor`)" * bool(report.quarantined))
    )


def _list_quarantine(store: Store, as_json: bool) -> None:
    """Every quarantined item, newest first, read a page at a time."""
    from socialdesk.sanitize import json_dumps

    before: int | None = None
    while page := store.quarantined(before):
        for item_id, at, source, error, raw in page:
            if as_json:
                item = {"id": item_id, "at": at, "source": source, "error": error, "raw": raw}
                typer.echo(json_dumps(item))
                continue
            when = datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")
            typer.echo(
                f"#{item_id} {when} {clean(source, single_line=True)}: {clean(error, single_line=True)}"
            )
            body = clean(raw, single_line=True)
            typer.echo(f"    {body if len(body) <= 200 else body[:199] + '…'}")
        before = page[-1][0]


def register(app: typer.Typer) -> None:
    """Add `import` and `doctor` to the app."""

    @app.command("import")
    def import_(
        ctx: typer.Context,
        file: Annotated[
            Optional[Path],  # noqa: UP045 (typer reads the annotation)
            typer.Argument(help="A JSONL file of posts (see README: JSONL line format)."),
        ] = None,
        account: Annotated[
            str, typer.Option("--account", help="Account to file posts under when lines name none.")
        ] = "",
        survey: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option("--survey", help="A CSV or JSONL file of satisfaction survey answers."),
        ] = None,
    ) -> None:
        """Import posts from a JSONL file, or survey answers; importing again duplicates nothing."""
        from socialdesk.launcher import workspace_triage
        from socialdesk.services.jsonl_io import import_jsonl

        if (file is None) == (survey is None):
            raise UserError("give a JSONL file of posts, or --survey FILE (not both)")
        if survey is not None:
            _import_survey(ctx, survey)
            return
        assert file is not None
        if not file.is_file():
            raise UserError(f"no such file: {file}")
        context = from_typer(ctx)
        triage = workspace_triage(context)
        if refused := (getattr(triage, "notice", None) or str)():  # as sync says it
            warn(refused)
        report = import_jsonl(context.store, file, account, triage)
        typer.echo(
            f"imported {report.inserted} new posts, refreshed {report.updated}"
            + (
                f"; {report.quarantined} lines quarantined (see `socialdesk doctor`)"
                if report.quarantined
                else ""
            )
        )

    @app.command("doctor")
    def doctor(
        ctx: typer.Context,
        quarantine: Annotated[
            bool, typer.Option("--quarantine", help="List every quarantined item, newest first.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="With --quarantine: one JSON object per item.")
        ] = False,
    ) -> None:
        """Quarantined items per source, the newest errors, accounts needing auth, secret storage."""
        from socialdesk.services.accounts import health

        if as_json and not quarantine:
            raise UserError("doctor: --json lists the quarantine: add --quarantine")
        context = from_typer(ctx)
        if quarantine:
            _list_quarantine(context.store, as_json)
            return
        report = health(context.settings, context.store)
        typer.echo(f"secrets: {report.secret_backend}")
        if report.secret_notice:
            typer.echo(f"  note: {report.secret_notice}")
        typer.echo(f"cache: {context.db_path}")
        if report.needs_auth:
            typer.echo("accounts needing auth:")
            for name, why in report.needs_auth:
                typer.echo(f"  {name}: {why}")
        else:
            typer.echo("accounts needing auth: none")
        total = sum(report.quarantine.values())
        typer.echo(f"quarantined items: {total}")
        for source, count in sorted(report.quarantine.items()):
            typer.echo(f"  {clean(source, single_line=True)}: {count}")
        if report.newest_errors:
            typer.echo("newest errors:")
            for at, source, error in report.newest_errors:
                when = datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")
                typer.echo(
                    f"  {when} {clean(source, single_line=True)}: {clean(error, single_line=True)[:200]}"
                )
