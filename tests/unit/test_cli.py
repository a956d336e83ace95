"""The command line: one-line errors with a non-zero exit, headless sync, connectors, export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from socialdesk import __version__
from socialdesk.cli import build_context
from tests.cli_run import run


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"socialdesk {__version__}\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["--theme", "neon"], "unknown theme 'neon'"),
        (["--config", "/nonexistent/c.toml", "connectors"], "config file not found: /nonexistent/c.toml"),
        (["export", "--format", "xml"], "unknown format 'xml'"),
    ],
)
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code != 0
    assert err.startswith("socialdesk: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_config_names_file_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[desk]\nundo_seconds = 'soon'\n")
    code, _, err = run(capsys, "--config", str(cfg), "connectors")
    assert code == 1 and f"{cfg}: desk.undo_seconds must be a number" in err


def test_connectors_lists_installed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "connectors")
    assert code == 0 and "demo" in out and "socialdesk.connectors.demo:DemoConnector" in out


def test_nothing_configured_means_demo(tmp_path: Path) -> None:
    ctx = build_context()
    assert ctx.demo and ctx.db_path.name == "demo.db"
    cfg = tmp_path / "c.toml"
    cfg.write_text("[[accounts]]\nname = 'd'\nconnector = 'demo'\n")
    real = build_context(config=cfg)
    assert not real.demo and real.db_path.name == "socialdesk.db"
    assert build_context(db=tmp_path / "x.db").db_path == tmp_path / "x.db"


def test_headless_sync_once_then_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    code, out, _ = run(capsys, "--db", str(db), "sync", "--once")
    assert code == 0 and out.startswith("demo: ok · ") and " new" in out
    code, out, _ = run(capsys, "--db", str(db), "sync", "--once")
    assert code == 0 and out.startswith("demo: ok · ")
    exported = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "--db", str(db), "export", "--format", "jsonl", "-o", str(exported))
    assert code == 0
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 3000 and "exported" in err
    first = json.loads(lines[0])
    assert first["network"] and first["id"] and first["author"]["handle"] and "text" in first


def test_offline_sync_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--offline", "sync", "--once")
    assert code == 1 and "--offline" in err


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "socialdesk", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"socialdesk {__version__}"


def test_root_option_names_match_the_root_command() -> None:
    """Opening the desk skips registering the subcommands; that shortcut must know every root option."""
    import typer.main

    from socialdesk import cli

    command = typer.main.get_command(cli.app)
    value_opts = {o for p in command.params if not p.is_flag for o in p.opts}  # type: ignore[attr-defined]
    flag_opts = {o for p in command.params if p.is_flag and not p.is_eager for o in p.opts}  # type: ignore[attr-defined]
    assert value_opts == cli.ROOT_VALUE_OPTIONS
    assert flag_opts == cli.ROOT_FLAG_OPTIONS


@pytest.mark.parametrize(
    ("argv", "desk_only"),
    [
        ([], True),
        (["--db", "x.db", "--offline"], True),
        (["--db=x.db", "--theme", "socialdesk-light"], True),
        (["--db"], False),
        (["--help"], False),
        (["--version"], False),
        (["import", "f.jsonl"], False),
        (["--offline", "doctor"], False),
        (["--bogus"], False),
    ],
)
def test_only_the_desk_skips_the_subcommands(argv: list[str], desk_only: bool) -> None:
    from socialdesk.cli import _only_opens_the_desk

    assert _only_opens_the_desk(argv) is desk_only


def test_help_still_lists_the_registered_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "import" in out and "doctor" in out


def test_a_team_desk_without_accounts_opens_the_workspace_not_the_demo(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[desk]\nagent = "ann"\n\n[team]\nurl = "postgresql://ann@127.0.0.1:5432/team"\n')
    ctx = build_context(config=cfg)
    assert not ctx.demo and ctx.db_path.name == "socialdesk.db"
