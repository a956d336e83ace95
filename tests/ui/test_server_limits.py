"""The composer and `socialdesk reply` hold a reply to its account's own server limit, not 500."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from socialdesk.app import SocialDeskApp
from socialdesk.commands.reply import register
from socialdesk.config import AccountSettings, Settings
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.models import Author, Post
from socialdesk.store import Store
from socialdesk.widgets.composer import Composer
from tests.conftest import FIXED_NOW
from tests.ui.waiting import settle

SIZE = (140, 40)
LONG = "The refund for order 4417 was sent today. " * 15  # 630 characters, one link-free paragraph


def mastodon_post(store: Store, cw: str = "") -> int:
    post = Post(
        "mastodon",
        "115",
        Author("a1", "@cust@other.example", "Cust"),
        "@acme where is my refund?",
        FIXED_NOW - 60,
        account="support",
        content_warning=cw,
    )
    return store.upsert_posts([post]).inserted[0]


async def test_the_composer_counts_against_the_accounts_server_limit(desk_app: SocialDeskApp) -> None:
    store = desk_app.ctx.store
    post_id = mastodon_post(store)
    store.set_limits("support", 5000, 25)
    async with desk_app.run_test(size=SIZE) as pilot:
        await settle(pilot, until=lambda: bool(desk_app.desk.feed.window.rows))
        desk_app.desk.select_post(post_id)
        await settle(pilot)
        composer = desk_app.desk.query_one(Composer)
        composer.set_text(LONG + " https://shop.example.com/refunds")
        await settle(pilot)
        measured = composer.measure()
        assert measured.limit == 5000 and not measured.over
        assert measured.count == len("@cust@other.example ") - len("@other.example") + len(LONG) + 1 + 25


async def test_the_posts_content_warning_counts_in_a_mastodon_reply(desk_app: SocialDeskApp) -> None:
    store = desk_app.ctx.store
    post_id = mastodon_post(store, cw="refund trouble")
    async with desk_app.run_test(size=SIZE) as pilot:
        await settle(pilot, until=lambda: bool(desk_app.desk.feed.window.rows))
        desk_app.desk.select_post(post_id)
        await settle(pilot)
        composer = desk_app.desk.query_one(Composer)
        composer.set_text("on its way")
        await settle(pilot)
        assert composer.measure().count == len("refund trouble") + len("@cust ") + len("on its way")


def cli(db: Path) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        settings = Settings(
            accounts=[AccountSettings("support", "mastodon", options={"base_url": "https://m.example"})]
        )
        ctx.obj = Context(settings=settings, db_path=db, offline=True)

    register(app)
    return app


@pytest.mark.parametrize(("limits", "refused"), [(None, True), ((5000, 23), False)])
def test_reply_uses_the_accounts_server_limit(
    tmp_path: Path, limits: tuple[int, int] | None, refused: bool
) -> None:
    db = tmp_path / "t.db"
    store = Store(db)
    post_id = mastodon_post(store)
    if limits is not None:
        store.set_limits("support", *limits)
    store.close()
    result = CliRunner().invoke(cli(db), ["reply", str(post_id), "--text", LONG, "--yes", "--json"])
    if refused:  # nothing known of the server: Mastodon's default 500
        assert isinstance(result.exception, UserError) and "/500" in str(result.exception)
    else:
        assert result.exit_code == 0, result.output
