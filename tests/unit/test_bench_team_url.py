"""`socialdesk bench --team` finds its database as the desk does, and keeps the password off command lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk.bench import hub_failover
from socialdesk.secrets import SecretStore
from tests.cli_run import run


def test_without_a_url_it_says_both_ways_to_give_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    code, out, err = run(capsys, "--config", str(config), "bench", "--team")
    assert code == 1
    assert (out + err).strip().splitlines() == [
        "socialdesk: error: bench --team: give --team-url postgresql://USER@HOST:PORT/DBNAME, "
        "or set [team] url in config.toml"
    ]


def test_the_configured_team_url_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[team]\nurl = "postgresql://ann@127.0.0.1:1/team"\n')
    code, out, err = run(capsys, "--config", str(config), "bench", "--team")
    lines = (out + err).strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("socialdesk: error: team database postgresql://ann@127.0.0.1:1/team: ")


def test_the_bench_hubs_get_a_stored_password_in_their_environment_never_their_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-passfile"))
    monkeypatch.setenv("SOCIALDESK_SECRETS", "file")
    monkeypatch.setenv("SOCIALDESK_DATA_DIR", str(tmp_path / "data"))
    stored = SecretStore("file", path=tmp_path / "data" / "secrets.json")
    stored.set("team:ann@127.0.0.1:5432/bench", "s3cret")
    env = hub_failover._hub_env(tmp_path / "work", "postgresql://ann@127.0.0.1:5432/bench")
    assert env["PGPASSWORD"] == "s3cret"
    assert env["SOCIALDESK_DATA_DIR"] == str(tmp_path / "work" / "data")  # the hubs' own, empty store


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--only", "work,soak"],
            "bench --team --only: unknown group soak (the team's: work, race, desks, failover)",
        ),
        (
            ["--desks", "20,lots"],
            "bench --desks: '20,lots' is not a comma-separated list of desk counts, like 20,200",
        ),
        (["--desks", "0"], "bench --desks: '0' is not a comma-separated list of desk counts, like 20,200"),
    ],
)
def test_a_bad_team_group_or_desk_count_is_refused_before_any_database_is_touched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], error: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[team]\nurl = "postgresql://ann@127.0.0.1:1/team"\n')  # nothing listens there
    code, out, err = run(capsys, "--config", str(config), "bench", "--team", *args)
    assert code == 1
    assert (out + err).strip().splitlines() == [f"socialdesk: error: {error}"]


def test_desk_processes_beyond_what_the_machine_can_run_are_not_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200 desk processes at 3.4 ms a commit each need 4.8 cores: said, not run until they time out."""
    from socialdesk.bench import team_desk

    monkeypatch.setattr(team_desk.os, "cpu_count", lambda: 2)
    at_20 = {"desks": 20, "commits_per_second": 7.0, "desk_cpu_ms": 2.9, "server_cpu_ms": 0.5, "errors": []}
    assert team_desk._beyond_the_machine([], 200) == ""  # nothing measured yet: try
    assert team_desk._beyond_the_machine([at_20], 40) == ""  # 0.95 CPU-seconds a second fit
    said = team_desk._beyond_the_machine([at_20], 200)
    assert said.startswith("200 desk processes not measured: following the feed would take 4.8 CPU-seconds")
    assert "on 2 cores" in said and "async clients below measure 200 desks" in said
    assert team_desk._beyond_the_machine([{**at_20, "errors": ["late"]}], 200) == ""
