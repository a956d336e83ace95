"""A scrollable document of text blocks, drawn a block at a time as its lines come into view.

The thread and customer panes are documents. A long conversation (up to 500 posts) or a page of
history would cost tens of milliseconds to wrap and render whole, on every cursor move in the feed.
Built on Textual's Line API, this widget wraps only the blocks the viewport reaches; the height of
a block not drawn yet is estimated from its text, and corrected (moving only what lies below it)
when it is drawn.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

BAR_TOP, BAR, BAR_BOTTOM = "▗", "▐", "▝"
BAR_WIDTH = 4  # the bar, a space before the text and a space after it, and one spare column


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a document.

    Attributes:
        text: what to show (already sanitised: it is drawn as given, never parsed as markup), or a
            function that builds it, called only if the block is drawn (a 500-post thread builds the
            few posts in view).
        bar: colour of a bar down the block's left side (a post), or None for plain text.
        gap: blank lines after the block.
        rule: draw a horizontal line instead of the text.
        hint: with a function for `text`, about the words it will hold, to estimate the height.
    """

    text: Text | Callable[[], Text]
    bar: str | None = None
    gap: int = 0
    rule: bool = False
    hint: str = ""

    def body(self) -> Text:
        """The text to draw."""
        return self.text if isinstance(self.text, Text) else self.text()

    def estimate(self, width: int) -> int:
        """Lines the block will take at `width`, without wrapping it (exact for unwrapped lines)."""
        if self.rule:
            return 1 + self.gap
        inner = max(1, width - BAR_WIDTH if self.bar else width)
        plain = self.text.plain if isinstance(self.text, Text) else self.hint
        lines = sum(max(1, -(-cell_len(line) // inner)) for line in plain.split("\n"))
        return lines + (2 if self.bar else 0) + self.gap


class DocumentView(ScrollView, can_focus=True):
    """Shows `Block`s top to bottom; call `show` with new blocks (attributes down, no I/O)."""

    DEFAULT_CSS = """
    DocumentView {
        background: $surface;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        /* Always there: a scrollbar appearing for a long thread and going for a short one would lay
           out the whole screen on every selection. */
        overflow-y: scroll;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._blocks: tuple[Block, ...] = ()
        self._width = 0
        self._drawn: dict[int, list[Strip]] = {}  # block index -> its lines at self._width
        self._heights: list[int] = []  # exact for drawn blocks, estimated for the rest
        self._tops: list[int] = [0]  # first line of each block; the last entry is the total

    def show(self, blocks: Sequence[Block]) -> None:
        """Replace the document and go back to its top."""
        self._blocks = tuple(blocks)
        self._layout(self._width)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()  # every line: a new document

    @property
    def line_count(self) -> int:
        """The document's height in lines (estimated for blocks not drawn yet)."""
        return self._tops[-1]

    def _layout(self, width: int) -> None:
        """Forget what was drawn and estimate every block's height at `width`."""
        self._width = width
        self._drawn.clear()
        self._heights = [block.estimate(width) for block in self._blocks] if width else []
        self._retop(0)
        self._sync_virtual_size()

    def _retop(self, start: int) -> None:
        tops = self._tops[: start + 1] if start < len(self._tops) else [0]
        for height in self._heights[start:]:
            tops.append(tops[-1] + height)
        self._tops = tops

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._layout(width)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()  # focus and theme change the colours every line was drawn with

    def _sync_virtual_size(self) -> None:
        size = Size(self._width, self._tops[-1])
        if size == self.virtual_size:
            return
        # `virtual_size` is declared with layout=True, which lays out and repaints the whole screen
        # on every selection. A new height only changes this widget's scrollbar: update that (the
        # scrollbar's own reactives still ask for a layout when it appears or goes).
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)  # refreshes the scrollbar; the lines drawn are already right

    # -- drawing --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._width:
            self._layout(width)
        line = int(self.scroll_offset.y) + y
        while True:
            index = bisect_right(self._tops, line) - 1
            if not 0 <= index < len(self._blocks):
                return Strip.blank(width, self.rich_style)
            strips = self._draw(index)
            if line < self._tops[index] + len(strips):
                return strips[line - self._tops[index]]
            # The block came out shorter than estimated: the line belongs to a later block.

    def _draw(self, index: int) -> list[Strip]:
        strips = self._drawn.get(index)
        if strips is not None:
            return strips
        strips = self._render_block(self._blocks[index], self._width)
        self._drawn[index] = strips
        if len(strips) != self._heights[index]:
            self._heights[index] = len(strips)
            self._retop(index)
            self.call_later(self._sync_virtual_size)  # not while the compositor is drawing
        return strips

    def _render_block(self, block: Block, width: int) -> list[Strip]:
        base = self.rich_style
        console = self.app.console
        blank = Strip.blank(width, base)
        if block.rule:
            strips = [Strip([Segment("─" * width, base + Style(dim=True))], width)]
        elif block.bar is None:
            strips = [self._line(line, width, base) for line in block.body().wrap(console, max(1, width))]
        else:
            bar = base + Style.parse(block.bar)
            inner = max(1, width - BAR_WIDTH)
            edge = [Segment(BAR_TOP, bar)]
            strips = [Strip([*edge, Segment(" " * (width - 1), base)], width)]
            for line in block.body().wrap(console, inner):
                strips.append(self._line(line, width, base, prefix=[Segment(BAR, bar), Segment(" ", base)]))
            strips.append(Strip([Segment(BAR_BOTTOM, bar), Segment(" " * (width - 1), base)], width))
        return strips + [blank] * block.gap

    def _line(self, line: Text, width: int, base: Style, prefix: list[Segment] | None = None) -> Strip:
        line.end = ""  # wrapped lines carry a newline of their own
        segments = list(prefix or [])
        for segment in line.render(self.app.console):
            segments.append(Segment(segment.text, base + segment.style if segment.style else base))
        return Strip(segments).adjust_cell_length(width, base)
