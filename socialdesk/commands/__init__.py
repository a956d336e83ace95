"""Command-line subcommands, each module registering its own on the typer app."""
