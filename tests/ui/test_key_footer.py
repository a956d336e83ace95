"""The desk's one-widget footer draws the cells Textual's Footer draws, and its keys work like Footer's."""

from __future__ import annotations

from typing import Any

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer, Static

from socialdesk.widgets.key_footer import KeyFooter
from tests.ui.waiting import settle


class Keys(App[None]):
    """Keys shown, hidden, disabled and bound twice, with Textual's footer or the desk's."""

    BINDINGS = [
        Binding("r", "note('reply')", "Reply"),
        Binding("slash", "note('search')", "Search"),
        Binding("x", "note('hidden')", "Hidden", show=False),
        Binding("o", "outbox", "Outbox"),  # check_action: None, shown disabled
        Binding("w", "write", "Send"),  # check_action: False, not shown
        Binding("question_mark", "note('help')", "Help"),
        Binding("f1", "note('help')", "Help again"),  # the same action: the footer shows the first
        Binding("q", "note('quit')", "Quit"),
    ]

    def __init__(self, footer: type[Widget]) -> None:
        super().__init__()
        self.footer = footer
        self.noted: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield self.footer()

    def action_note(self, what: str) -> None:
        self.noted.append(what)

    def action_outbox(self) -> None:
        self.noted.append("outbox")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "outbox":
            return None
        return action != "write"


def _seen(char: str, style: Style) -> tuple[str, Style]:
    """A cell as it looks: a blank shows only its background (and no mouse metadata counts)."""
    if char == " " and not (style.underline or style.reverse or style.strike):
        return char, Style(bgcolor=style.bgcolor)
    return char, style.clear_meta_and_links()


async def _footer_cells(footer: type[Widget], size: tuple[int, int], theme: str) -> list[tuple[str, Style]]:
    """The last line of the screen as it looks, cell by cell."""
    app = Keys(footer)
    app.theme = theme
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        update = app.screen._compositor.render_update(full=True)
        last_line = list(update.strips)[-1]  # type: ignore[union-attr]
    return [
        _seen(char, segment.style or Style())
        for strip in last_line
        for segment in strip
        for char in segment.text
    ]


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(100, 5), (40, 5)], ids=["wide", "narrow"])
async def test_the_footer_draws_the_cells_textuals_footer_draws(theme: str, size: tuple[int, int]) -> None:
    theirs = await _footer_cells(Footer, size, theme)
    ours = await _footer_cells(KeyFooter, size, theme)
    assert "".join(c for c, _ in ours).startswith(" r Reply  / Search  o Outbox")
    assert ours == theirs


async def test_the_footer_lists_the_keys_as_textuals_footer_picks_them() -> None:
    app = Keys(KeyFooter)
    async with app.run_test(size=(100, 5)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeyFooter)
        assert [(e.display, e.description, e.enabled) for e in footer.shown] == [
            ("r", "Reply", True),
            ("/", "Search", True),
            ("o", "Outbox", False),
            ("?", "Help", True),
            ("q", "Quit", True),
        ]
        assert footer.palette is not None and footer.palette.display == "^p"


async def test_clicking_a_key_presses_it_and_a_disabled_one_rings(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Keys(KeyFooter)
    rang: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: rang.append(True))
    async with app.run_test(size=(100, 5)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeyFooter)
        await pilot.click(KeyFooter, offset=(10, 0))  # " / Search "
        await settle(pilot)
        assert app.noted == ["search"] and not rang
        start = next(s for s, _, e in footer._spans if e.description == "Outbox")
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await settle(pilot)
        assert app.noted == ["search"] and rang == [True]


async def test_hovering_a_key_shows_its_tooltip_and_highlight() -> None:
    app = Keys(KeyFooter)
    async with app.run_test(size=(100, 5)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeyFooter)
        plain = footer.render()
        await pilot.hover(KeyFooter, offset=(99 - 3, 0))  # the palette's key, at the right edge
        await settle(pilot)
        assert footer.palette is not None and footer.tooltip == footer.palette.tooltip
        hovered = footer.render()
        assert hovered.plain == plain.plain and hovered.spans != plain.spans


def test_the_footer_snapshot(snap_compare: Any) -> None:
    assert snap_compare(Keys(KeyFooter), terminal_size=(80, 3))
