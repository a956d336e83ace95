"""The baseline app of the terminal figure, run as a plain script: Header, Static, Footer, nothing else."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Minimal(App[None]):
    """The minimal Textual app the desk's start-up is compared with."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("socialdesk benchmark baseline")
        yield Footer()


if __name__ == "__main__":
    Minimal().run()
