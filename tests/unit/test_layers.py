"""The import-linter contracts in pyproject.toml hold, and they do catch a layer broken on purpose."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the repository's contracts on the `socialdesk` package found in `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "500"}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def verdict(output: str, contract: str) -> str:
    """KEPT or BROKEN, as lint-imports reported the contract whose name contains `contract`."""
    lines = [
        line
        for line in output.splitlines()
        if contract in line and line.rstrip().endswith(("KEPT", "BROKEN"))
    ]
    assert len(lines) == 1, output
    return lines[0].split()[-1]


@pytest.fixture
def copy_of_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "socialdesk", tmp_path / "socialdesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_the_package_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("store/db.py", "import textual.app", "never import Textual"),
        ("services/outbox.py", "import socialdesk.screens.desk", "Layers run one way"),
        ("connectors/base.py", "import socialdesk.messages", "Layers run one way"),
        ("widgets/composer.py", "import socialdesk.store.queries", "Widgets never touch"),
        # Indirect: a widget reaching SQL through a helper module of the domain layer.
        ("sanitize.py", "import sqlite3", "Widgets never touch"),
    ],
)
def test_a_broken_layer_is_caught(copy_of_package: Path, module: str, line: str, contract: str) -> None:
    target = copy_of_package / "socialdesk" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = lint_imports(copy_of_package)
    assert result.returncode != 0
    assert verdict(result.stdout, contract) == "BROKEN"


def test_a_new_module_without_a_layer_is_caught(copy_of_package: Path) -> None:
    (copy_of_package / "socialdesk" / "stray.py").write_text('"""Not given a layer."""\n', encoding="utf-8")
    result = lint_imports(copy_of_package)
    assert result.returncode != 0
    assert "socialdesk.stray" in result.stdout
