"""The desk starts in its theme with each stylesheet parsed once before the first frame, and can switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.css import stylesheet

from socialdesk.cli import make_app
from socialdesk.context import Context


def background(app: Any) -> Color:
    return Color.parse(app.theme_variables["background"])


@pytest.mark.parametrize("theme", ["socialdesk-light", "socialdesk-dark"])
async def test_the_desk_starts_in_its_theme_parsing_each_stylesheet_once(
    demo_context: Context, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    """Set through the reactive, the theme queued a refresh that parsed the whole stylesheet again
    (with the same theme) before the first frame."""
    parsed: list[Any] = []  # each piece of CSS parsed: its scope, its text and where it was read from
    original = stylesheet.parse

    def recorded(scope: str, css: str, read_from: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append((scope, css, read_from, kwargs.get("tie_breaker")))
        return original(scope, css, read_from, *args, **kwargs)

    monkeypatch.setattr(stylesheet, "parse", recorded)
    demo_context.theme = theme
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        twice = [where for *_, where, _ in {p for p in parsed if parsed.count(p) > 1}]
        assert parsed and not twice, twice
        assert app.theme == theme
        light = app.current_theme.name == "socialdesk-light"
        assert {f"-theme-{theme}", "-light-mode" if light else "-dark-mode"} <= app.classes
        assert ("-dark-mode" if light else "-light-mode") not in app.classes
        assert app.screen.styles.background == background(app)


async def test_a_theme_chosen_later_restyles_the_desk(demo_context: Context) -> None:
    demo_context.theme = "socialdesk-dark"
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=(160, 48)) as pilot:
        dark = app.screen.styles.background
        app.theme = "socialdesk-light"
        await pilot.pause()
        assert app.screen.styles.background == background(app) != dark
        assert {"-theme-socialdesk-light", "-light-mode"} <= app.classes
        assert not {"-theme-socialdesk-dark", "-dark-mode"} & app.classes


def test_the_theme_files_are_read_once_to_check_the_configured_theme_and_register_them(
    demo_context: Context, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    """make_app checked the configured theme's name against every theme file, then the app read and
    parsed them all again to register them."""
    from socialdesk import themes_loader

    reads: list[int] = []
    theme_files = themes_loader._theme_files

    def counted() -> list[tuple[str, str]]:
        found = theme_files()
        reads.append(len(found))
        return found

    themes = isolated_home / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\ndark = true\n')
    monkeypatch.setattr(themes_loader, "_theme_files", counted)
    demo_context.settings.desk.theme = "mine"
    app = make_app(demo_context, sync=False, sources=[])
    assert len(reads) == 1 and reads[0] >= 4
    assert "mine" in app.available_themes and app.theme == "mine"
