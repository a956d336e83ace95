"""`socialdesk reply` and `socialdesk outbox` through a throwaway typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from socialdesk.commands.reply import register
from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.errors import UserError
from tests.outbox.helpers import make_store

runner = CliRunner()


def make_cli(db: Path, offline: bool = False) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Context(settings=Settings(), db_path=db, demo=True, offline=offline)

    register(app)
    return app


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.db"
    make_store(path, network="demo", account="demo").close()
    return path


def invoke(db: Path, *args: str, offline: bool = False, input: str | None = None):
    result = runner.invoke(make_cli(db, offline), list(args), input=input)
    return result


def test_reply_with_yes_sends_and_prints_json(db: Path) -> None:
    result = invoke(db, "reply", "demo:100", "--text", "Sorry about that!", "--yes", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["state"] == "sent" and row["text"] == "@user0@other.example Sorry about that!"


def test_reply_shows_the_review_and_respects_no(db: Path) -> None:
    result = invoke(db, "reply", "1", "--text", "hello", input="n\n")
    assert result.exit_code != 0
    assert "public reply to @user0@other.example on demo" in result.output
    assert "@user0@other.example hello" in result.output
    listed = json.loads(invoke(db, "outbox", "list", "--json").output)
    assert listed == {"replies": [], "more": False}


def test_reply_with_macro_and_prompts(db: Path) -> None:
    result = invoke(
        db,
        "reply",
        "1",
        "--macro",
        "order-status",
        "--prompt",
        "Order number=A-77",
        "--prompt",
        "Delivery date=Friday",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert "order A-77 is on its way and should arrive by Friday" in json.loads(result.output)[0]["text"]


def test_reply_macro_missing_prompt_is_a_user_error(db: Path) -> None:
    result = invoke(db, "reply", "1", "--macro", "order-status", "--yes")
    assert isinstance(result.exception, UserError) and "Order number" in str(result.exception)


def test_too_long_reply_is_refused_unless_split(db: Path) -> None:
    long = "words " * 100
    refused = invoke(db, "reply", "1", "--text", long, "--yes")
    assert isinstance(refused.exception, UserError) and "--split" in str(refused.exception)
    result = invoke(db, "reply", "1", "--text", long, "--split", "--yes", "--json")
    rows = json.loads(result.output)
    assert (
        len(rows) == 3 and [r["part"] for r in rows] == [1, 2, 3] and {r["state"] for r in rows} == {"sent"}
    )


def test_unknown_post_is_a_user_error(db: Path) -> None:
    result = invoke(db, "reply", "demo:nope", "--text", "x", "--yes")
    assert isinstance(result.exception, UserError) and "no post" in str(result.exception)


def test_offline_reply_queues_then_outbox_lists_retries_and_discards(db: Path) -> None:
    result = invoke(db, "reply", "1", "--text", "later", "--yes", "--json", offline=True)
    (row,) = json.loads(result.output)
    assert row["state"] == "queued"
    listed = invoke(db, "outbox", "list")
    assert f"{row['id']:>6}  queued" in listed.output
    invoke(db, "outbox", "discard", str(row["id"]))
    listed = json.loads(invoke(db, "outbox", "--json").output)
    assert [r["state"] for r in listed["replies"]] == ["discarded"]
    retried = invoke(db, "outbox", "retry", str(row["id"]))
    assert isinstance(retried.exception, UserError)


def test_outbox_flush_sends_what_is_due(db: Path) -> None:
    invoke(db, "reply", "1", "--text", "queued while offline", "--yes", offline=True)
    flushed = invoke(db, "outbox", "flush", "--json")
    assert [e["state"] for e in json.loads(flushed.output)] == ["sent"]


def test_dm_on_a_post_goes_as_dm_without_mentions(db: Path) -> None:
    result = invoke(db, "reply", "1", "--text", "psst", "--dm", "--yes", "--json")
    (row,) = json.loads(result.output)
    assert row["dm"] is True and row["text"] == "psst" and row["state"] == "sent"
