"""A one-line banner over the desk when posts spike: what, how many, from how many, and the key."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.sanitize import clean


class SpikeBanner(Static):
    """Shows `headline` (set by the screen) with the key that opens the spike; hidden when empty."""

    DEFAULT_CSS = """
    SpikeBanner {
        height: 1; padding: 0 1; background: $error; color: $text; text-style: bold; display: none;
    }
    SpikeBanner.-shown { display: block; }
    """

    headline: reactive[str] = reactive("")

    def watch_headline(self, headline: str) -> None:
        self.set_class(bool(headline), "-shown")
        # The headline quotes a customer's post: plain text, never markup.
        self.update(Text(f"⚠ c: open and escalate · {clean(headline, single_line=True)}"))
