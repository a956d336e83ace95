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

import msgspec
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.strip import Strip

BAR_TOP, BAR, BAR_BOTTOM = "▗", "▐", "▝"
BAR_WIDTH = 4  # the bar, a space before the text and a space after it, and one spare column
GUTTER = 2  # right of the text: a space, then the scrollbar
BAR_ACTIONS = {"scroll_up": "page_up", "scroll_down": "page_down"}


class Block(msgspec.Struct, frozen=True):
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
        padding: 0 0 0 1;
        /* The scrollbar is drawn into the lines (see `_bar_strips`), not by Textual's scrollbar
           widgets: those were redrawn whole on every selection in the feed, about 40% of the lines
           of the frame that shows a new thread, plus a frame of their own whenever a drawn block
           corrected its estimated height. */
        overflow: hidden hidden;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._blocks: tuple[Block, ...] = ()
        self._width = 0  # of the text: the content region less the gutter
        self._drawn: dict[int, list[Strip]] = {}  # block index -> its lines at self._width
        self._heights: list[int] = []  # exact for drawn blocks, estimated for the rest
        self._tops: list[int] = [0]  # first line of each block; the last entry is the total
        self._generation = 0  # counts layouts: what was prepared for an older one is stale
        self._viewport = Size(0, 0)  # the content region, kept: asked for by every line of every frame
        self._prepared: tuple[int, ...] = ()  # the viewport the drawn blocks and the bar are for
        self._base = Style()  # this widget's style, as of the last preparation
        self._bar: list[Strip] = []  # the gutter of each visible line: a space, then the scrollbar
        self._blank = Strip([])  # a line below the end of the document, gutter excluded

    def show(self, blocks: Sequence[Block]) -> None:
        """Replace the document and go back to its top."""
        self._blocks = tuple(blocks)
        self._layout(self._width)
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()  # every line: a new document

    def redraw(self) -> None:
        """Build the visible blocks again (their text may depend on the time), keeping the scroll."""
        self._drawn.clear()
        self._prepared = ()
        self.refresh()

    @property
    def line_count(self) -> int:
        """The document's height in lines (estimated for blocks not drawn yet)."""
        return self._tops[-1]

    @property
    def allow_vertical_scroll(self) -> bool:
        # Textual scrolls only widgets that show its scrollbar; this one draws its own.
        return self.is_scrollable and not self.disabled

    def _layout(self, width: int) -> None:
        """Forget what was drawn and estimate every block's height at `width`."""
        self._width = width
        self._generation += 1
        self._drawn.clear()
        self._heights = [block.estimate(width) for block in self._blocks]
        self._retop(0)
        self._sync_virtual_size()

    def _retop(self, start: int) -> None:
        tops = self._tops[: start + 1] if start < len(self._tops) else [0]
        for height in self._heights[start:]:
            tops.append(tops[-1] + height)
        self._tops = tops

    def on_resize(self) -> None:
        viewport = self.scrollable_content_region.size
        if viewport != self._viewport:
            # The frame drawn with the new layout came before this event, at the old size: wrap again
            # (a new width lays the blocks out again in `_prepare`) and repaint every line.
            self._viewport = viewport
            self._prepare()
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()  # focus and theme change the colours every line was drawn with
        self._prepared = ()

    def _sync_virtual_size(self) -> None:
        size = Size(self._width + GUTTER, self._tops[-1])
        if size != self.virtual_size:
            # Set without its watcher: `virtual_size` is declared with layout=True, which would lay
            # out and repaint the whole screen on every selection. Only this widget's lines change.
            self.set_reactive(ScrollView.virtual_size, size)

    # -- drawing --------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Draw the blocks the viewport shows (correcting their estimated heights), then the bar.

        Done once per frame, before its first line: every line of the frame then agrees on where
        each block is and how long the document is, and no correction needs a frame of its own.
        """
        if not self._viewport:  # drawn before the first Resize was handled
            self._viewport = self.scrollable_content_region.size
        top = int(self.scroll_offset.y)
        key = (self._generation, top, *self._viewport)
        if key == self._prepared:
            return
        width, height = self._viewport
        if max(0, width - GUTTER) != self._width:
            self._layout(max(0, width - GUTTER))
        self._base = self.rich_style
        index = max(0, bisect_right(self._tops, top) - 1)
        while index < len(self._blocks) and self._tops[index] < top + height:
            self._draw(index)
            index += 1
        self._sync_virtual_size()
        if top > self.max_scroll_y:  # the document came out shorter than estimated
            self.call_later(self.scroll_to, y=self.max_scroll_y, animate=False)
        self._bar = self._bar_strips(top, height, self._tops[-1])
        self._blank = Strip.blank(self._width, self._base)
        self._prepared = (self._generation, top, *self._viewport)

    def _bar_strips(self, top: int, height: int, total: int) -> list[Strip]:
        """The gutter of each visible line: Textual's scrollbar glyphs and colours, one per line."""
        styles = self.styles
        back = styles.scrollbar_background
        if back.a < 1:
            back = self.background_colors[0] + back
        bar = ScrollBarRender.render_bar(
            size=height,
            virtual_size=total,
            window_size=height if height < total else 0,
            position=top,
            back_color=back.rich_color,
            bar_color=(back + styles.scrollbar_color).rich_color,
        )
        space = Segment(" ", self._base)
        gutters: dict[Segment, Strip] = {}  # a bar has a handful of distinct cells
        strips = []
        for segment in bar.segments[:height]:
            gutter = gutters.get(segment)
            if gutter is None:
                style = segment.style or Style()
                # A click above or below the thumb pages (the glyphs' own actions belong to
                # Textual's scrollbar widget); dragging the thumb is not offered.
                action = BAR_ACTIONS.get(style.meta.get("@mouse.down", ""))
                plain = Style(color=style.color, bgcolor=style.bgcolor, reverse=style.reverse)
                if action:
                    plain += Style.from_meta({"@mouse.down": action})
                gutter = gutters[segment] = Strip([space, Segment(segment.text, plain)], GUTTER)
            strips.append(gutter)
        return strips

    def render_line(self, y: int) -> Strip:
        self._prepare()
        gutter = self._bar[y] if y < len(self._bar) else Strip.blank(GUTTER, self._base)
        line = int(self.scroll_offset.y) + y
        index = bisect_right(self._tops, line) - 1
        if 0 <= index < len(self._blocks):
            strips = self._draw(index)
            if line - self._tops[index] < len(strips):
                return Strip.join([strips[line - self._tops[index]], gutter])
        return Strip.join([self._blank, gutter])

    def _draw(self, index: int) -> list[Strip]:
        strips = self._drawn.get(index)
        if strips is not None:
            return strips
        strips = self._render_block(self._blocks[index], self._width)
        self._drawn[index] = strips
        if len(strips) != self._heights[index]:
            self._heights[index] = len(strips)
            self._retop(index)
        return strips

    def _render_block(self, block: Block, width: int) -> list[Strip]:
        base = self._base
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
