"""`socialdesk hub`'s refusals: each one line saying what to set (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


def test_a_hub_without_a_team_url_says_what_to_set(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[accounts]]\nname = "m"\nconnector = "mastodon"\nbase_url = "https://m.example"\n')
    code, text = run(capsys, "--config", str(config), "hub")
    assert code == 1
    assert text.strip().splitlines() == [f"socialdesk: error: hub: set [team] url in {config} (README: Team)"]


def test_a_poll_as_long_as_the_lease_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[team]\nurl = "postgresql://hub@127.0.0.1:1/team"\n')
    code, text = run(capsys, "--config", str(config), "hub", "--lease", "2", "--poll", "1")
    assert code == 1 and "--poll must be positive and under half of --lease" in text
