"""`socialdesk reply` and `socialdesk outbox` through a throwaway typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from socialdesk.commands.reply import register
from socialdesk.config import Settings
from socialdesk.connectors.base import (
    AuthError,
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    PermanentError,
    RateLimited,
    SendResult,
    SendUncertain,
)
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.services.feed_model import FeedModel
from socialdesk.services.query import parse_query
from socialdesk.store import Store
from socialdesk.store.queries import count
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


class Refusing(Connector):
    """A network that fails each send as told, and (like Bluesky) has no DMs and lost post 101."""

    name = "demo"
    capabilities = Capabilities(max_length=280, counting="chars", can_reply=True, can_dm=False)
    failure: Exception | None = None

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], None)

    def send(self, reply: OutgoingReply) -> SendResult:
        if self.failure is not None:
            raise self.failure
        return SendResult("r1")

    def refusal(self, reply: OutgoingReply) -> str | None:
        if reply.in_reply_to == "101":
            return "the post being answered no longer exists"
        return super().refusal(reply)


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> type[Refusing]:
    from socialdesk.services import outbox_worker

    monkeypatch.setattr(outbox_worker, "resolver_for", lambda ctx: lambda network, account: Refusing())
    return Refusing


@pytest.mark.parametrize(
    ("failure", "state"),
    [
        (
            PermanentError("refused (403 You are not allowed to create a Tweet with duplicate content.)"),
            "failed",
        ),
        (SendUncertain("no answer after sending"), "unknown"),
        (RateLimited(until=4_000_000_000.0), "waiting"),
        (AuthError("needs auth (401 Unauthorized)"), "needs_auth"),
    ],
)
def test_reply_exits_non_zero_unless_sent_or_queued(
    db: Path, refusing: type[Refusing], monkeypatch: pytest.MonkeyPatch, failure: Exception, state: str
) -> None:
    monkeypatch.setattr(refusing, "failure", failure)
    result = invoke(db, "reply", "1", "--text", "Sorry!", "--yes")
    assert result.exit_code == 1 and f": {state}" in result.output
    invoke(db, "outbox", "discard", "1")  # else the next reply queues behind this one (and exits 0)
    as_json = invoke(db, "reply", "3", "--text", "Sorry again!", "--yes", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.output)[0]["state"] == state
    monkeypatch.setattr(refusing, "failure", None)
    assert (
        invoke(db, "reply", "1", "--text", "Sorry once more", "--yes", offline=True).exit_code == 0
    )  # queued


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("1", "--text", "psst", "--dm"), "has no direct messages here"),
        (("2", "--text", "Sorry!"), "no longer exists"),
    ],
)
def test_a_refusal_known_before_the_review_comes_before_it(
    db: Path, refusing: type[Refusing], args: tuple[str, ...], why: str
) -> None:
    result = invoke(db, "reply", *args, input="y\n")
    assert isinstance(result.exception, UserError) and why in str(result.exception)
    assert "Send?" not in result.output and "part 1/1" not in result.output  # no review was shown
    assert json.loads(invoke(db, "outbox", "list", "--json").output)["replies"] == []


def test_a_post_the_cache_knows_is_deleted_is_refused_before_the_review(db: Path) -> None:
    store = Store(db)
    store.conn.execute("UPDATE posts SET deleted_at = 1 WHERE id = 1")
    store.conn.commit()
    store.close()
    result = invoke(db, "reply", "1", "--text", "Sorry!", input="y\n")
    assert isinstance(result.exception, UserError) and "deleted" in str(result.exception)
    assert "Send?" not in result.output


def test_a_macro_quoting_the_ticket_gives_the_conversation_its_number(db: Path) -> None:
    result = invoke(db, "reply", "1", "--macro", "apology", "--yes", "--json")
    assert result.exit_code == 0, result.output
    text = json.loads(result.output)[0]["text"]
    assert "(your ticket: T-1001)" in text  # 1000 + the id of the conversation's first post
    store = Store(db)
    try:
        assert FeedModel(store).load_detail(1).thread.ticket == "T-1001"  # type: ignore[union-attr]
        assert count(store.conn, parse_query("T-1001")) >= 1  # the customer can quote it back
    finally:
        store.close()
