"""Every package directory ships: pyproject lists packages explicitly (themes live in ./themes)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.fresh_python import imported_by

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed() -> None:
    """Folders of data files too (socialdesk/data): Python imports them as namespace packages, and
    setuptools warns at an editable install that it would leave out one not listed."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = [ROOT / "socialdesk", *(ROOT / "socialdesk").rglob("*")]
    found = {".".join(f.relative_to(ROOT).parts) for f in folders if f.is_dir() and f.name != "__pycache__"}
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "socialdesk.themes" in listed


def test_shipped_themes_are_readable() -> None:
    from socialdesk.themes_loader import theme_names

    assert {"socialdesk-dark", "socialdesk-light", "socialdesk-high-contrast"} <= set(theme_names())


def test_user_theme_files_are_picked_up(isolated_home: Path) -> None:
    from socialdesk.themes_loader import theme_names

    themes = isolated_home / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#123456"\ndark = true\n')
    assert "mine" in theme_names()


def test_installed_themes_are_read_as_a_folder() -> None:
    """An installed package is a folder: its themes are read without importlib.resources' reader, whose
    imports (zipfile, bz2, lzma) came before the desk's first frame."""
    code = "from socialdesk.themes_loader import theme_names\nassert 'socialdesk-dark' in theme_names()"
    assert imported_by(code, "zipfile", "importlib.resources.readers") == []
