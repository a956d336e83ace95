"""Textual's footer of keys, recomposed only when the keys it shows change."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Footer

# A key as the footer shows it: the binding, whether it is enabled now, and its tooltip.
ShownKey = tuple[Binding, bool, str]


class KeyFooter(Footer):
    """The footer; it mounts its keys again only if the keys to show (or their state) changed.

    Textual's footer recomposes on every change of the screen's bindings: opening the desk made three
    recomposes in a row, each mounting every key again (10-25 ms apiece, while the agent's first keys
    waited), and so did moving between panes whose keys look the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[ShownKey, ...] | None = None  # what the keys on screen were composed from

    def _to_show(self) -> tuple[ShownKey, ...]:
        bindings = self.screen.active_bindings
        palette = bindings.get(self.app.COMMAND_PALETTE_BINDING)
        return tuple(
            (binding, enabled, tooltip)
            for _node, binding, enabled, tooltip in bindings.values()
            if binding.show or (palette is not None and binding is palette[1])
        )

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        shown = self._to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()
