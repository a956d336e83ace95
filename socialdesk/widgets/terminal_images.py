"""Images in the terminal's own graphics (kitty's protocol or sixel) where the agent asked for them.

textual-image learns what the terminal can draw by asking it, which is only possible before Textual
takes the terminal over: `prepare` runs then, and only when `[desk] images = "terminal"` (the
half-block `Picture` needs no question and stays the default). `picture` makes the widget a preview
uses: textual-image's when prepared, else the half-block one.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.widgets.picture import Picture

if TYPE_CHECKING:
    from PIL.Image import Image
    from textual.widget import Widget

_graphics: ModuleType | None = None


def prepare() -> None:
    """Ask the terminal what it draws (textual-image does at import), before the app starts.

    Raises:
        UserError: textual-image is not installed.
    """
    global _graphics
    try:
        _graphics = importlib.import_module("textual_image.widget")
    except ImportError:
        raise UserError(
            "desk.images = \"terminal\" needs textual-image: pip install 'socialdesk[images]'"
        ) from None


def prepared() -> bool:
    """Whether previews use the terminal's own graphics."""
    return _graphics is not None


def forget() -> None:
    """Back to half blocks (tests)."""
    global _graphics
    _graphics = None


def picture(image: Image) -> Widget:
    """A widget showing `image`: in the terminal's graphics when prepared, else in half blocks."""
    if _graphics is not None:
        widget: Widget = _graphics.Image(image)
        return widget
    shown = Picture()
    shown.image = image
    return shown
