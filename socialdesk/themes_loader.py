"""Loads theme files (shipped ones and the user's own) into Textual Theme objects."""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socialdesk.errors import UserError
from socialdesk.locations import user_themes_dir

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from textual.theme import Theme

THEME_KEYS = {
    "name",
    "dark",
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
    "boost",
    "luminosity_spread",
    "text_alpha",
    "variables",
}


def _shipped() -> list[tuple[str, str]]:
    entries: Sequence[Traversable]
    try:
        package = importlib.import_module("socialdesk.themes")
    except ModuleNotFoundError:  # running from a source tree without installing: ./themes
        entries = list((Path(__file__).resolve().parent.parent / "themes").iterdir())
    else:
        # An installed package is a folder: read it as one. importlib.resources' reader (and the
        # zipfile, bz2 and lzma modules it imports) is needed only for a package inside an archive,
        # and importing it delayed the desk's first frame.
        folder = Path(package.__file__ or "").parent
        if folder.is_dir():
            entries = list(folder.iterdir())
        else:
            from importlib.resources import files

            entries = list(files(package).iterdir())
    return [(f"themes/{e.name}", e.read_text(encoding="utf-8")) for e in entries if e.name.endswith(".toml")]


def _theme_files() -> list[tuple[str, str]]:
    found = _shipped()
    user_dir = user_themes_dir()
    if user_dir.is_dir():
        found += [(str(p), p.read_text(encoding="utf-8")) for p in sorted(user_dir.glob("*.toml"))]
    return found


def parse_theme(source: str, text: str) -> Theme:
    """One theme file as a Textual Theme.

    Raises:
        UserError: not TOML, unknown key, or a missing name/primary colour.
    """
    from textual.theme import Theme

    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: not valid TOML: {exc}") from None
    unknown = set(data) - THEME_KEYS
    if unknown:
        raise UserError(f"{source}: unknown theme key {sorted(unknown)[0]!r}")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str):
            raise UserError(f"{source}: theme needs a string {key!r}")
    try:
        return Theme(**data)
    except Exception as exc:  # a bad colour string
        raise UserError(f"{source}: {exc}") from None


def load_themes() -> list[Theme]:
    """Every theme: the shipped ones first, then the user's (a user theme may replace a shipped one)."""
    return [parse_theme(source, text) for source, text in _theme_files()]


def theme_names() -> list[str]:
    """Names of all available themes (for validating --theme before the app starts)."""
    return [t.name for t in load_themes()]


def user_theme_path(name: str) -> Path:
    """Where a user theme called `name` would live."""
    return user_themes_dir() / f"{name}.toml"
