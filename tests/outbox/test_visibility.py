"""A reply is never more public than the post it answers, and the agent sees how public before sending."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from socialdesk.commands.reply import register
from socialdesk.config import AccountSettings, Settings
from socialdesk.context import Context
from socialdesk.models import Author, Post
from socialdesk.services.audience import reply_audience
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from socialdesk.store.queries import get_post
from tests.outbox import fake_mastodon as fm
from tests.outbox.helpers import Clock, make_store, post_id


@pytest.fixture
def fake() -> Iterator[fm.FakeMastodon]:
    server = fm.FakeMastodon(
        parents={
            "100": {"visibility": "direct", "spoiler_text": "", "language": "de"},
            "101": {"visibility": "private", "spoiler_text": "refund, card details", "language": "fr"},
            "102": {"visibility": "unlisted"},
        }
    )
    server.start()
    yield server
    server.stop()


def send_all(tmp_path: Path, fake: fm.FakeMastodon, visibility: str = "public") -> Outbox:
    store = make_store(tmp_path / "t.db")
    options = {"base_url": fake.url, "visibility": visibility}

    def connector(network: str, account: str) -> fm.MastodonConnector:
        made = fm.mastodon_connector(fake.url, account=account)
        made.visibility = options["visibility"]
        return made

    clock = Clock(time.time())
    outbox = Outbox(store, connector, clock=clock, undo_seconds=0)
    for native in ("100", "101", "102"):
        outbox.enqueue(post_id(store, native), f"@user{int(native) - 100}@other.example on it", "ana")
    outbox.delivery.process_due(clock.advance(1))
    return outbox


def test_a_reply_is_never_more_public_than_the_post_it_answers(tmp_path: Path, fake: fm.FakeMastodon) -> None:
    send_all(tmp_path, fake).close()
    by_parent = {s["in_reply_to_id"]: s for s in fake.statuses}
    # The default reply to a direct message is a direct reply in the same conversation.
    assert by_parent["100"]["visibility"] == "direct"
    assert by_parent["101"]["visibility"] == "private"  # a followers-only complaint stays there
    assert by_parent["102"]["visibility"] == "unlisted"
    # The content warning and the language go with the answer.
    assert by_parent["101"]["spoiler_text"] == "refund, card details"
    assert by_parent["101"]["language"] == "fr" and by_parent["100"]["language"] == "de"


def test_the_accounts_visibility_only_narrows(tmp_path: Path, fake: fm.FakeMastodon) -> None:
    fake.customers["102"]["visibility"] = "public"
    send_all(tmp_path, fake, visibility="unlisted").close()
    assert [s["visibility"] for s in fake.statuses] == ["direct", "private", "unlisted"]


def mastodon_post(store: Store, visibility: str) -> int:
    store.upsert_posts(
        [
            Post(
                network="mastodon",
                native_id="500",
                author=Author(native_id="a9", handle="maria@other.example"),
                text="my card was charged twice",
                created_at=1_700_000_000.0,
                account="support",
                raw={"type": "mention", "status": {"id": "500", "visibility": visibility}},
            )
        ]
    )
    return post_id(store, "500")


ACCOUNTS = [AccountSettings(name="support", connector="mastodon", options={"base_url": "https://m.example"})]


@pytest.mark.parametrize(
    ("visibility", "dm", "words"),
    [
        ("public", False, "public reply"),
        ("unlisted", False, "unlisted reply"),
        ("private", False, "followers-only reply"),
        ("direct", False, "direct message"),
        ("public", True, "direct message"),
    ],
)
def test_the_audience_is_known_before_sending(tmp_path: Path, visibility: str, dm: bool, words: str) -> None:
    store = make_store(tmp_path / "t.db", posts=0)
    post = get_post(store.conn, mastodon_post(store, visibility))
    assert post is not None
    assert reply_audience(store, ACCOUNTS, post, dm) == words


def test_socialdesk_reply_shows_the_visibility_before_sending(tmp_path: Path) -> None:
    store = make_store(tmp_path / "t.db", posts=0)
    mastodon_post(store, "private")
    store.close()
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        settings = Settings()
        settings.accounts = list(ACCOUNTS)
        ctx.obj = Context(settings=settings, db_path=tmp_path / "t.db", offline=True)

    register(app)
    result = CliRunner().invoke(app, ["reply", "mastodon:500", "--text", "we refunded you"], input="n\n")
    assert "followers-only reply to @maria@other.example on mastodon" in result.output
