"""The first frame draws the composer's empty editor without it, cell for cell, and the editor follows."""

from __future__ import annotations

from typing import Any

import pytest
from rich.segment import Segment
from textual._compositor import CompositorUpdate, LayoutUpdate
from textual.app import App
from textual.strip import Strip

from socialdesk.cli import make_app
from socialdesk.context import Context
from socialdesk.widgets.composer import BlankEditor, Composer
from tests.ui.waiting import settle


@pytest.mark.parametrize("theme", ["socialdesk-dark", "socialdesk-light", "socialdesk-high-contrast"])
async def test_the_first_frame_draws_the_empty_editor_as_the_editor_draws_itself(
    demo_context: Context, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    """Textual's TextArea is imported and styled after the first frame: until then a blank stands in
    for it, drawing the cells the empty, unfocused editor draws (its background, the cursor line's)."""
    written: list[tuple[CompositorUpdate, bool]] = []  # each update sent, and whether the blank was in it
    display = App._display

    def recorded(app: App[Any], screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate) and not app._batch_count:
            written.append((renderable, bool(screen.query(BlankEditor))))
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", recorded)
    demo_context.theme = theme
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        composer = app.screen.query_one(Composer)
        assert composer.text == "" and not app.screen.query(BlankEditor)
        region = composer.editor.region
        settled = app.screen._compositor.render_update(full=True)
    first, blank_shown = written[0]
    assert blank_shown and isinstance(first, LayoutUpdate) and isinstance(settled, LayoutUpdate)

    def cells(update: LayoutUpdate, y: int) -> list[Segment]:
        return list(Strip.join(list(update.strips[y])).crop(region.x, region.right).simplify())

    for y in range(region.y, region.bottom):
        assert cells(first, y) == cells(settled, y), y


async def test_a_key_pressed_before_the_editor_is_placed_finds_it(desk_app: Any) -> None:
    """`r` (or any way into the composer) mounts the editor at once if the first frame has not yet."""
    async with desk_app.run_test(size=(160, 48)) as pilot:
        composer = desk_app.screen.query_one(Composer)
        editor = composer.editor  # whether or not it was placed already: the same one from now on
        assert composer.editor is editor
        await pilot.press("r")
        await settle(pilot)
        assert desk_app.focused is editor and not desk_app.screen.query(BlankEditor)
        await pilot.press("h", "i")
        assert composer.text == "hi"
