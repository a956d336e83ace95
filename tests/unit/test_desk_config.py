"""Saving the agent's name into config.toml keeps the rest of the file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from socialdesk.config import DeskSettings, load
from socialdesk.errors import UserError
from socialdesk.services.desk_config import agent_unset, save_agent_name


def test_a_new_file_gets_a_desk_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_agent_name(path, "  Ana   María ")
    assert tomllib.loads(path.read_text())["desk"]["agent"] == "Ana María"


def test_the_rest_of_the_file_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# my desk\n[desk]\n# who I am\nagent = "agent"\ntheme = "socialdesk-light"\n\n[sla]\n')
    save_agent_name(path, 'Jo "JJ" Lee')
    text = path.read_text()
    assert "# my desk" in text and "# who I am" in text and 'theme = "socialdesk-light"' in text
    assert tomllib.loads(text)["desk"]["agent"] == 'Jo "JJ" Lee'


def test_a_desk_table_without_agent_gets_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[desk]\nundo_seconds = 5\n")
    save_agent_name(path, "Bo")
    desk = tomllib.loads(path.read_text())["desk"]
    assert desk == {"agent": "Bo", "undo_seconds": 5}


def test_empty_names_are_refused_and_the_placeholder_counts_as_unset(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="empty"):
        save_agent_name(tmp_path / "c.toml", "   ")
    assert agent_unset(DeskSettings()) and not agent_unset(DeskSettings(agent="Ana"))


def test_the_benchmark_desk_never_stops_to_ask_the_name(tmp_path: Path) -> None:
    from socialdesk.bench.suite import _isolated_env

    env = _isolated_env(tmp_path)
    settings = load(Path(env["SOCIALDESK_CONFIG_DIR"]) / "config.toml")
    assert not agent_unset(settings.desk)
