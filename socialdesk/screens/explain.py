"""Why is this post here: the rules that fired for the selected post, in order (the `w` key)."""

from __future__ import annotations

from textual.binding import Binding

from socialdesk.screens.lines_modal import LinesScreen


class ExplainScreen(LinesScreen):
    """Shows an explanation's lines (plain text); escape or `w` closes it."""

    BINDINGS = [Binding("escape,w", "close", "Close", id="explain.close")]
    HEADING = "Why is this post here?"
    HINT = "escape close · socialdesk rules explain POST prints the same"
