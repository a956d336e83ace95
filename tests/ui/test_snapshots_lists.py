"""SVG snapshots of the read-only list modals: the notices and "why is this post here" (--snapshot-update
only after reading the diff)."""

from __future__ import annotations

from textual.app import App
from textual.screen import ModalScreen

from socialdesk.screens.explain import ExplainScreen
from socialdesk.screens.notices import NoticesScreen

SIZE = (120, 30)
HOSTILE = "@mallory: [bold]not markup[/bold] \x1b[31mred\x1b[0m \u202eevil"


class ModalApp(App[None]):
    """An empty app that opens one modal over its default screen."""

    def __init__(self, modal: ModalScreen[None]) -> None:
        super().__init__()
        self.modal = modal

    def on_mount(self) -> None:
        self.push_screen(self.modal)


def test_notices_modal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    lines = ["10:02 rule vip-complaint: @ana on X: “my order never arrived”", HOSTILE]
    assert snap_compare(ModalApp(NoticesScreen(lines)), terminal_size=SIZE)


def test_notices_modal_with_nothing_yet(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(ModalApp(NoticesScreen([])), terminal_size=SIZE)


def test_explain_modal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    lines = ["post 12 · priority 2 · tags vip, refund", "1. vip-first (priority 2, tag vip)", HOSTILE]
    assert snap_compare(ModalApp(ExplainScreen(lines)), terminal_size=SIZE)
