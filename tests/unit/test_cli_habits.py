"""The command line as a new user meets it: whole summaries, options anywhere, where imports go."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from socialdesk import locations
from tests.unit.test_cli import run

LINE = {"network": "x", "id": "1", "author": {"handle": "sam"}, "text": "my order never came",
        "created_at": "2026-11-20T10:00:00Z"}  # fmt: skip


@pytest.mark.parametrize("group", [[], ["accounts"], ["report"], ["rules"], ["playbook"], ["team"]])
def test_help_summaries_are_whole_sentences(capsys: pytest.CaptureFixture[str], group: list[str]) -> None:
    code, out, _ = run(capsys, *group, "--help")
    assert code == 0 and "Commands:" in out
    commands = out.split("Commands:", 1)[1]
    assert "..." not in commands and "…" not in commands, commands


def test_the_root_summary_of_sync_is_whole(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--help")
    assert "otherwise keep syncing until interrupted" in " ".join(out.split())


@pytest.mark.parametrize(
    "args",
    [["sync", "--offline", "--once"], ["sync", "--once", "--offline"], ["--offline", "sync", "--once"]],
)
def test_global_options_are_accepted_after_the_command(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 1 and "sync: --offline is set" in err, err


def test_a_global_value_option_after_the_command_is_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cache = tmp_path / "elsewhere.db"
    code, _, err = run(capsys, "export", "--db", str(cache), "-o", str(tmp_path / "out.jsonl"))
    assert code == 0, err
    assert cache.exists() and "exported 0 posts" in err


def test_a_commands_own_option_value_is_never_taken_for_a_global_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "--offline"
    code, _, err = run(capsys, "export", "-o", str(out))
    assert code == 0 and out.exists(), err


def test_import_with_nothing_configured_goes_to_the_workspace_the_desk_opens(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from socialdesk.launcher import build_context

    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps(LINE) + "\n")
    code, out, err = run(capsys, "import", str(path))
    assert code == 0 and "imported 1 new posts" in out, err
    assert not locations.demo_db().exists() and locations.workspace_db().exists()
    opened = build_context()  # what bare `socialdesk` opens, before and after `accounts add`
    assert not opened.demo and opened.db_path == locations.workspace_db()
    config = locations.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[accounts]]\nname = "f"\nconnector = "feeds"\nurl = "https://f.example/rss"\n')
    assert build_context().db_path == locations.workspace_db()


def test_nothing_configured_and_no_workspace_still_opens_the_demo() -> None:
    from socialdesk.launcher import build_context

    assert build_context().demo and build_context().db_path == locations.demo_db()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from socialdesk.connectors import http

    monkeypatch.setattr(http, "POLICY", http.RetryPolicy(base_delay=0.0, sleep=lambda s: None))


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:  # bound, never listening: a connection is refused
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_accounts_test_names_the_address_it_could_not_reach(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fast_retries: None
) -> None:
    monkeypatch.setenv("TOKEN", "t0ken-value")
    url = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = run(
        capsys, "accounts", "add", "m1", "-c", "mastodon", "-o", f"base_url={url}",
        "--secret-env", "TOKEN", "--no-verify",
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "accounts", "test", "m1")
    assert code == 1 and url in err and "cannot connect" in err, err
    assert err.count("\n") == 1


def test_an_accounts_error_names_it_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "t0ken-value")
    code, _, err = run(
        capsys, "accounts", "add", "m2", "-c", "mastodon", "-o", "base_url=not-a-url",
        "--secret-env", "TOKEN", "--no-verify",
    )  # fmt: skip
    assert code == 1 and "base_url must be" in err, err
    assert err.count("account 'm2'") == 1, err


def _quarantine_seven(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f"not json {n}\n" for n in range(7)))
    return path


def test_doctor_quarantine_lists_every_item(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "import", str(_quarantine_seven(tmp_path)))
    code, out, _ = run(capsys, "doctor")
    assert code == 0 and out.count("bad.jsonl: line ") == 5  # the summary keeps the newest five
    code, out, err = run(capsys, "doctor", "--quarantine")
    assert code == 0, err
    assert all(f"not json {n}" in out for n in range(7)) and out.count("bad.jsonl: line ") == 7, out


def test_doctor_quarantine_json_is_one_object_per_item(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(capsys, "import", str(_quarantine_seven(tmp_path)))
    code, out, err = run(capsys, "doctor", "--quarantine", "--json")
    assert code == 0, err
    items = [json.loads(line) for line in out.splitlines()]
    assert len(items) == 7 and {"id", "at", "source", "error", "raw"} <= set(items[0])
    assert items[0]["source"] == "import:bad.jsonl" and items[0]["raw"].startswith("not json")
    code, _, err = run(capsys, "doctor", "--json")
    assert code == 1 and "--json lists the quarantine: add --quarantine" in err
