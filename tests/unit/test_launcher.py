"""The console script opens the desk without typer, exactly as the typer CLI would; the rest goes to typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from socialdesk import cli, launcher
from socialdesk.context import Context


def _seen(ctx: Context) -> tuple[Any, ...]:
    return (ctx.settings, ctx.db_path, ctx.demo, ctx.offline, ctx.theme)


def _start(monkeypatch: pytest.MonkeyPatch, entry: Any, argv: list[str]) -> tuple[str, Any]:
    """Which path built the app ("launcher" or "typer") and with what context; or the exit code."""
    built: list[tuple[str, Any]] = []

    class NoRun:
        crash = None
        return_code = 0

        def run(self) -> None:
            pass

    def recorder(path: str) -> Any:
        return lambda ctx, **options: built.append((path, _seen(ctx))) or NoRun()

    monkeypatch.setattr(launcher, "make_app", recorder("launcher"))
    monkeypatch.setattr(cli, "make_app", recorder("typer"))
    try:
        entry(argv)
    except SystemExit as exc:
        return "exit", exc.code
    assert len(built) == 1
    return built[0]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "c.toml").write_text("[[accounts]]\nname = 'd'\nconnector = 'demo'\n")
    (tmp_path / "a-directory").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--offline"],
        ["--db", "{t}/x.db", "--offline"],
        ["--db={t}/x.db"],
        ["--db", "{t}/a.db", "--db={t}/b.db"],  # repeated: the last one wins
        ["--db", "--offline"],  # typer takes "--offline" as the value; so does the launcher
        ["--config", "{t}/c.toml", "--theme=socialdesk-light", "--offline", "--offline"],
        ["--config={t}/c.toml", "--db", "~/x.db"],  # no ~ expansion on either path
    ],
)
def test_the_launcher_builds_the_context_typer_would(
    monkeypatch: pytest.MonkeyPatch, files: Path, argv: list[str]
) -> None:
    argv = [a.replace("{t}", str(files)) for a in argv]
    path, fast = _start(monkeypatch, launcher.main, argv)
    assert path == "launcher"
    assert _start(monkeypatch, cli.main, argv) == ("typer", fast)


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "{t}/a-directory"],
        ["--db="],  # the current directory
        ["--theme", "neon"],
        ["--config", "{t}/missing.toml"],
    ],
)
def test_the_launcher_reports_user_errors_as_typer_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: Path, argv: list[str]
) -> None:
    argv = [a.replace("{t}", str(files)) for a in argv]
    assert _start(monkeypatch, launcher.main, argv) == ("exit", 1)
    fast = capsys.readouterr()
    assert _start(monkeypatch, cli.main, argv) == ("exit", 1)
    assert capsys.readouterr() == fast
    assert fast.err.startswith("socialdesk: error: ") and fast.err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["demo"], ["--offline", "sync"], ["--bogus"], ["--db"], ["--offline=yes"]],
)
def test_everything_else_goes_to_typer(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(cli, "main", calls.append)
    monkeypatch.setattr(launcher, "make_app", lambda ctx, **kw: pytest.fail("the launcher opened the desk"))
    launcher.main(argv)
    monkeypatch.setattr(sys, "argv", ["socialdesk", *argv])
    launcher.main()
    assert calls == [argv, None]  # None: typer reads sys.argv itself, as before


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: Context, **options: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(launcher, "make_app", interrupted)
    with pytest.raises(SystemExit) as exc:
        launcher.main(["--offline"])
    assert exc.value.code == 130


def test_opening_the_desk_imports_neither_typer_nor_pydantic(tmp_path: Path) -> None:
    """The point of the launcher: typer and the pydantic it pulls in cost ~100 ms before the first frame."""
    script = f"""
import sys
from textual.app import App
App.run = lambda app, *args, **kwargs: print(type(app).__name__)
sys.argv = ["socialdesk", "--db", {str(tmp_path / "x.db")!r}, "--offline"]
from socialdesk.launcher import main
main()
print(sorted({{m.partition(".")[0] for m in sys.modules}} & {{"typer", "click", "pydantic"}}))
print("socialdesk.cli" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[:3] == ["SocialDeskApp", "[]", "False"], result.stderr
