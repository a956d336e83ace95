"""The results say which commit was measured, and nothing for an install that is not our checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import socialdesk
from socialdesk.bench import suite


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=where, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit(where: Path, *args: str) -> None:
    _git(where, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", *args)


def test_an_install_inside_another_repository_names_no_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """site-packages under a pyenv checkout: that repository's HEAD is not the code measured."""
    _git(tmp_path, "init", "-q")
    _git(
        tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "pyenv"
    )
    package = tmp_path / "lib" / "site-packages" / "socialdesk"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(socialdesk, "__file__", str(package / "__init__.py"))
    assert suite._commit() == ""


def test_our_checkout_names_its_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "socialdesk"
    package.mkdir()
    (package / "__init__.py").write_text("")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "socialdesk/__init__.py")
    _commit(tmp_path, "-m", "ours")
    head = _git(tmp_path, "rev-parse", "HEAD")
    monkeypatch.setattr(socialdesk, "__file__", str(package / "__init__.py"))
    assert suite._commit() == head
    (package / "__init__.py").write_text("changed = True\n")
    assert suite._commit() == head + "+"
