"""Config loading: strict keys and types, errors that name the file and key, the example file."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialdesk import config
from socialdesk.errors import UserError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_default_file_gives_defaults(tmp_path: Path) -> None:
    settings = config.load(tmp_path / "absent.toml")
    assert settings.desk.undo_seconds == 10 and settings.accounts == []


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="config file not found"):
        config.load(tmp_path / "absent.toml", required=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[desk]\nthme = 'x'\n", "unknown key desk.thme"),
        ("[desk]\nundo_seconds = 'ten'\n", "desk.undo_seconds must be a number"),
        ("[desk]\noffline = 1\n", "desk.offline must be true or false"),
        ("[sla]\nurgent = true\n", "sla.urgent must be a number"),
        ("[nope]\n", "unknown key nope"),
        ("[keys]\n'feed.down' = 3\n", "keys must be"),
        ("[[accounts]]\nconnector = 'x'\n", "accounts[0].name must be a non-empty string"),
        ("[[accounts]]\nname='a'\nconnector='x'\n[[accounts]]\nname='a'\nconnector='x'\n", "used twice"),
        ("[desk\n", "not valid TOML"),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        config.load(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_account_options_are_checked_against_the_connector(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, "[[accounts]]\nname='d'\nconnector='demo'\nseed=3\nsead=4\n"))
    from socialdesk.connectors.demo import DemoConnector

    with pytest.raises(UserError, match="unknown key 'sead' for demo account 'd'"):
        config.validate_account_options(settings.accounts[0], DemoConnector.options, settings.source)


def test_example_config_documents_every_option() -> None:
    example = ROOT / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    settings = config.load(example)
    assert settings.source == str(example)
    for section in (config.DeskSettings, config.SlaSettings, config.HoursSettings, config.TeamSettings):
        for field in section.__struct_fields__:
            shown = f"{field} =" in text or f"[desk.{field}]" in text
            assert shown, f"config.example.toml does not show {field}"


def test_example_accounts_are_valid_for_their_connectors(tmp_path: Path) -> None:
    """The commented [[accounts]] examples, uncommented, pass each connector's own option check."""
    from socialdesk.connectors.registry import load_connector

    lines = (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# [[accounts]]"))
    body = "\n".join(line[2:] if line.startswith("# ") else "" for line in lines[start:])
    settings = config.load(write(tmp_path, body))
    assert {a.connector for a in settings.accounts} >= {"mastodon", "bluesky", "x", "feeds"}
    for account in settings.accounts:
        config.validate_account_options(account, load_connector(account.connector).options, settings.source)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "team.url must be a postgresql:// URL"),
        ("postgresql://u:hunter22@h:99999/db", "team.url has a bad port"),
        ("postgresql://u:hunter22@h:x/db", "team.url has a bad port"),
    ],
)
def test_team_url_errors_are_one_line_without_the_password(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        config.load(write(tmp_path, f"[team]\nurl = {url!r}\n"))
    assert "config.toml" in str(caught.value)
    assert "hunter22" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_team_url_is_read() -> None:
    settings = config.parse({"team": {"url": "postgresql://agent@db.example:5433/desk?sslmode=require"}}, "c")
    assert settings.team.url == "postgresql://agent@db.example:5433/desk?sslmode=require"
    assert config.Settings().team.url == ""
