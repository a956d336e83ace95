"""`python -m socialdesk.bench`: the same command as `socialdesk bench`."""

from __future__ import annotations

import typer

from socialdesk.commands.bench import register


def main() -> None:
    """Run the benchmark suite from the command line."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app(prog_name="python -m socialdesk.bench")


if __name__ == "__main__":
    main()
