"""Layers run one way: connectors, store and services never import Textual; widgets never touch I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "socialdesk"
UI_FREE = [
    "connectors",
    "store",
    "services",
    "models.py",
    "sanitize.py",
    "compose.py",
    "config.py",
    "viewmodels.py",
]
WIDGET_FORBIDDEN = (
    "socialdesk.store",
    "socialdesk.services",
    "socialdesk.connectors",
    "httpx",
    "sqlite3",
    "sqlite_utils",
)


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def files(*parts: str) -> list[Path]:
    out: list[Path] = []
    for part in parts:
        target = PACKAGE / part
        out += sorted(target.rglob("*.py")) if target.is_dir() else ([target] if target.exists() else [])
    return out


@pytest.mark.parametrize("path", files(*UI_FREE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_textual_below_the_screens(path: Path) -> None:
    bad = [m for m in imports(path) if m == "textual" or m.startswith("textual.")]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", files("widgets"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_widgets_touch_no_store_services_or_network(path: Path) -> None:
    bad = [m for m in imports(path) if m.startswith(WIDGET_FORBIDDEN)]
    assert not bad, f"{path.name} imports {bad}"
