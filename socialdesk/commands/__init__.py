"""Command-line subcommands, each module registering its own on the typer app; `Group` lists them."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup


def warn(text: str) -> None:
    """Say one line on standard error, `socialdesk: warning: TEXT` (control characters neutralised)."""
    import typer

    from socialdesk.sanitize import clean

    typer.echo(f"socialdesk: warning: {clean(text, single_line=True)}", err=True)


class Group(TyperGroup):
    """A command group whose `--help` gives each command's whole first sentence, wrapped.

    Click cuts a summary to the space left on the line and ends it with "...", which left most of
    ours saying half of what the command does.
    """

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
