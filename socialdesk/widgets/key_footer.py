"""The desk's footer of keys: one widget drawing them as one line, with the look of Textual's Footer."""

from __future__ import annotations

import msgspec
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

PALETTE_EDGE = "▏"  # the left edge of the palette key: Textual's `vkey` border


class FooterEntry(msgspec.Struct, frozen=True):
    """One key as the footer offers it."""

    key: str  # the key pressed when the entry is clicked
    display: str  # how the key is written ("^p", "/")
    description: str
    enabled: bool
    tooltip: str


def entries(screen: Screen[object]) -> tuple[tuple[FooterEntry, ...], FooterEntry | None]:
    """The keys a screen's footer offers now, and the command palette's key, as Textual's Footer picks them.

    Bindings with `show` set, one per action (the first bound), in binding order; a binding its action's
    `check_action` hides is left out, one it returns None for is shown disabled.
    """
    app = screen.app
    active = screen.active_bindings
    by_action: dict[str, tuple[Binding, bool, str]] = {}
    for _node, binding, enabled, tooltip in active.values():
        if binding.show:
            by_action.setdefault(binding.action, (binding, enabled, tooltip))
    shown = tuple(
        FooterEntry(binding.key, app.get_key_display(binding), binding.description, enabled, tooltip)
        for binding, enabled, tooltip in by_action.values()
    )
    palette = None
    if app.ENABLE_COMMAND_PALETTE and (found := active.get(app.COMMAND_PALETTE_BINDING)) is not None:
        _node, binding, enabled, _tooltip = found
        palette = FooterEntry(
            binding.key,
            app.get_key_display(binding),
            binding.description,
            enabled,
            binding.tooltip or binding.description,
        )
    return shown, palette


class KeyFooter(Widget):
    """The keys of the focused pane, and the palette's key on the right, drawn as one line.

    Textual's Footer mounts a widget per key and mounts them all again whenever the screen's bindings
    change. On the desk that was eight widgets more to style and lay out before the first frame (and
    the first frame came without them); this footer draws the same cells in one widget, and only
    repaints when the keys it shows change. A click on a key presses it, as on Textual's footer.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-footer--key",
        "key-footer--description",
        "key-footer--hover",
        "key-footer--palette-edge",
    }
    # The colours and spacing of Textual's Footer and FooterKey (a key is " k Description ", the
    # palette's key "▏^p palette " against the right edge).
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .key-footer--palette-edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.shown: tuple[FooterEntry, ...] = ()
        self.palette: FooterEntry | None = None
        self._spans: list[tuple[int, int, FooterEntry]] = []  # cells each key covers, as last drawn
        self._hover: FooterEntry | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._update_keys()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self._update_keys()

    def _update_keys(self) -> None:
        shown, palette = entries(self.screen)
        if (shown, palette) != (self.shown, self.palette):
            self.shown, self.palette = shown, palette
            self._hover = None
            self.refresh()

    def render(self) -> Text:
        base = self.rich_style
        width = self.size.width
        key_style = base + self.get_component_rich_style("key-footer--key")
        description_style = base + self.get_component_rich_style("key-footer--description")
        hover = self.get_component_rich_style("key-footer--hover")
        palette = self._palette_text(base, key_style, description_style, hover)
        room = max(0, width - palette.cell_len)
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for entry in self.shown:
            start = line.cell_len
            styles = (key_style, description_style)
            if entry is self._hover:
                styles = (key_style + hover, description_style + hover)
            label = Text.assemble((f" {entry.display} ", styles[0]), (f"{entry.description} ", styles[1]))
            if not entry.enabled:
                label.stylize(Style(dim=True))
            line.append_text(label)
            self._spans.append((start, line.cell_len, entry))
        line.truncate(room, overflow="crop", pad=True)
        if self.palette is not None:
            self._spans.append((room, width, self.palette))
        line.append_text(palette)
        return line

    def _palette_text(self, base: Style, key: Style, description: Style, hover: Style) -> Text:
        entry = self.palette
        if entry is None:
            return Text()
        if entry is self._hover:
            key, description = key + hover, description + hover
        edge = base + self.get_component_rich_style("key-footer--palette-edge")
        text = Text.assemble(
            (PALETTE_EDGE, Style(color=edge.color, bgcolor=base.bgcolor)),
            (entry.display, key),
            (f" {entry.description}", description),
            (" ", description),
        )
        if not entry.enabled:
            text.stylize(Style(dim=True), 1)
        return text

    def entry_at(self, x: int) -> FooterEntry | None:
        """The key drawn at column `x`, if any."""
        for start, end, entry in self._spans:
            if start <= x < end:
                return entry
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        entry = self.entry_at(event.x)
        if entry is not self._hover:
            self._hover = entry
            self.tooltip = entry.tooltip if entry is not None and entry.tooltip else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        entry = self.entry_at(event.x)
        if entry is None:
            return
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()
