"""What a Line API widget (the feed, the thread, the customer pane) draws, as plain text."""

from __future__ import annotations

from textual.scroll_view import ScrollView


def drawn_lines(widget: ScrollView) -> list[str]:
    """The widget's visible lines, top to bottom."""
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]
