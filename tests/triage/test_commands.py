"""`socialdesk rules test` and `socialdesk audit` through a throwaway typer app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from socialdesk.commands import playbook as playbook_commands
from socialdesk.commands.triage import register
from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.models import Agent, Post
from socialdesk.services.queue import QueueService
from socialdesk.store import Store

MakePost = Callable[..., Post]


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., object]:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Context(settings=Settings(), db_path=tmp_path / "t.db")

    register(app)
    playbook_commands.register(app)
    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(app, list(args), catch_exceptions=True)

    return run


def seed(tmp_path: Path, make_post: MakePost) -> Store:
    store = Store(tmp_path / "t.db")
    now = time.time()
    store.upsert_posts(
        [
            make_post("@brightbasket app is down again, can't log in", created_at=now - 60),
            make_post("@brightbasket app is down again \u200b", created_at=now - 50),
            make_post("thank you, brilliant service", created_at=now - 40),
            make_post("Earn $$$ from home, DM me for crypto signals", created_at=now - 30),
            make_post("old: my order never arrived", created_at=now - 86400 * 60),
        ]
    )
    return store


def test_rules_test_json_reports_what_the_playbook_would_do(
    cli: Callable[..., object], tmp_path: Path, make_post: MakePost
) -> None:
    seed(tmp_path, make_post)
    result = cli("rules", "test", "--since", "30d", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    report = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert report["posts"] == 4  # the 60-day-old post is outside --since
    assert report["tags"]["outage"] == 2 and report["tags"]["queue:outages"] == 2
    assert report["priority"]["3"] == 2 and report["actionable"] == {"yes": 3, "no": 1}
    assert len(report["examples"]["outage"]) == 2
    # Dry run: nothing stored changed.
    store = Store(tmp_path / "t.db")
    assert store.conn.execute("SELECT COUNT(*) FROM post_tags").fetchone()[0] == 0


def test_rules_test_pages_through_the_cache(tmp_path: Path, make_post: MakePost) -> None:
    from socialdesk.commands.triage import dry_run
    from socialdesk.services.rules import Triager

    store = seed(tmp_path, make_post)
    report = dry_run(store, Triager(), time.time() - 86400 * 90, page_size=2)
    assert report["posts"] == 5


def test_rules_test_text_and_custom_playbook(
    cli: Callable[..., object], tmp_path: Path, make_post: MakePost
) -> None:
    seed(tmp_path, make_post)
    book = tmp_path / "pb.toml"
    book.write_text('[[rule]]\nname = "thanks"\nintent = "praise"\ntag = "kudos"\n', encoding="utf-8")
    result = cli("rules", "test", "--playbook", str(book))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "kudos" in result.output and "examples of kudos" in result.output  # type: ignore[attr-defined]


def test_rules_test_rejects_bad_input(cli: Callable[..., object], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\ncolour = "red"\n', encoding="utf-8")
    result = cli("rules", "test", "--playbook", str(bad))
    assert isinstance(result.exception, UserError) and "unknown key 'colour'" in str(result.exception)  # type: ignore[attr-defined]
    result = cli("rules", "test", "--since", "lots")
    assert isinstance(result.exception, UserError)  # type: ignore[attr-defined]


def test_audit_lists_actions_newest_first(
    cli: Callable[..., object], tmp_path: Path, make_post: MakePost
) -> None:
    store = seed(tmp_path, make_post)
    svc = QueueService(store, Agent("ann"))
    svc.tag([1], "billing")
    svc.resolve([1])
    result = cli("audit", "--json", "--limit", "1")
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["action"] for line in lines] == ["status"]
    text = cli("audit").output  # type: ignore[attr-defined]
    assert "ann status post 1 status=resolved" in text and "ann tag post 1 tag=billing" in text


def test_playbook_check_command_lists_errors_and_warnings(cli: Callable[..., object], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[macro]]\nname = "m"\ntext = "{customer.first_name}"\n[[rule]]\nname = "all"\npriority = 3\n'
    )
    result = cli("playbook", "check", str(bad))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert "error:" in out and "{customer.first_name}" in out
    assert "warning:" in out and "has no conditions" in out


def test_rules_test_refuses_a_playbook_that_fails_the_check(
    cli: Callable[..., object], tmp_path: Path, make_post: MakePost
) -> None:
    seed(tmp_path, make_post)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[macro]]\nname = "m"\ntext = "Hi {customer.first_name}"\n')
    result = cli("rules", "test", "--playbook", str(bad), "--json")
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert "{customer.first_name}" in str(result.exception)  # type: ignore[attr-defined]
