"""An image drawn with half blocks: each cell shows two pixels (▀ in the top's colour on the bottom's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from PIL.Image import Image


RGB = tuple[int, int, int]


def half_block_rows(image: Image, columns: int, rows: int) -> list[list[tuple[RGB, RGB]]]:
    """The image scaled to fit `columns` x `rows` cells, as (top, bottom) colours per cell."""
    width, height = image.size
    scale = min(columns / max(1, width), (rows * 2) / max(1, height))
    w, h = max(1, int(width * scale)), max(2, int(height * scale))
    data = image.convert("RGB").resize((w, h)).tobytes()

    def at(x: int, y: int) -> RGB:
        i = (y * w + x) * 3
        return data[i], data[i + 1], data[i + 2]

    return [[(at(x, y), at(x, y + 1)) for x in range(w)] for y in range(0, h - 1, 2)]


class Picture(Widget):
    """Shows `image` (a PIL image the screen decoded) scaled to the widget; `message` when there is none."""

    DEFAULT_CSS = """
    Picture { height: 1fr; }
    """

    image: reactive[Image | None] = reactive(None)
    message: reactive[str] = reactive("")

    def render_line(self, y: int) -> Strip:
        if self.image is None:
            return Strip(Text(self.message if y == 0 else "", style="dim").render(self.app.console))
        rows = self._rows()
        if y >= len(rows):
            return Strip.blank(self.size.width)
        segments = [
            Segment("▀", Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)))
            for top, bottom in rows[y]
        ]
        return Strip(segments)

    def _rows(self) -> list[list[tuple[RGB, RGB]]]:
        key = (id(self.image), self.size.width, self.size.height)
        if getattr(self, "_cache_key", None) != key:
            assert self.image is not None
            self._cache_key = key
            self._cache = half_block_rows(self.image, max(1, self.size.width), max(1, self.size.height))
        return self._cache
