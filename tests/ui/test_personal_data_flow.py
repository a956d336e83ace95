"""Personal data: a public reply that carries some is held at the review; the thread flags a customer's."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from socialdesk.context import Context
from socialdesk.models import Author, Post
from socialdesk.services.feed_model import FeedModel
from socialdesk.store.queries import get_post
from tests.outbox.helpers import make_store, post_id
from tests.ui.reply_host import HostApp, demo_context, replies, review_after
from tests.ui.waiting import settle


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return demo_context(tmp_path)


async def test_a_public_reply_with_a_card_number_is_held_until_s(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "We refunded card 4111 1111 1111 1111 today"
        review = await review_after(pilot, app, "ctrl+s")
        held = str(review.query_one("#review-hold", Static).render())
        assert "card ending 1111" in held and "4111 1111" not in held
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is review and replies(ctx) == []  # y does not send a held reply
        assert any("Held" in n.message for n in app._notifications)
        await pilot.press("S")
        await settle(pilot)
        assert app.screen is app.host
        sent = "@user0@other.example We refunded card 4111 1111 1111 1111 today"
        assert replies(ctx) == [(sent, "queued", 0)]


async def test_a_reply_without_personal_data_is_not_held(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "Order 48 items and call 3 times: we refunded it"
        review = await review_after(pilot, app, "ctrl+s")
        assert not review.data.hold
        assert not review.query("#review-hold")
        await pilot.press("y")
        await settle(pilot)
        assert len(replies(ctx)) == 1


async def test_the_public_note_of_take_it_private_is_checked_not_the_dm(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "Your booking ref K7X9QZ is confirmed, call +44 20 7946 0958"
        review = await review_after(pilot, app, "D")
        assert review.data.hold == ""  # the DM may carry it


def test_the_thread_flags_a_customers_public_post_not_a_dm(tmp_path: Path) -> None:
    store = make_store(tmp_path / "t.db")
    store.upsert_posts(
        [
            Post("mastodon", "900", Author("c", "carl"), "charged twice! mail me: carl@example.org", 9.0),
            Post("mastodon", "901", Author("c", "carl"), "my card 4111 1111 1111 1111", 10.0, kind="dm"),
        ]
    )
    model = FeedModel(store)
    public = model.load_detail(post_id(store, "900")).thread
    private = model.load_detail(post_id(store, "901")).thread
    plain = model.load_detail(post_id(store, "100")).thread
    assert public is not None and public.personal_data == "e-mail address (c…@example.org)"
    assert private is not None and private.personal_data == ""
    assert plain is not None and plain.personal_data == ""


async def test_a_reply_split_into_a_thread_is_held_when_a_part_carries_personal_data(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "words " * 100 + "write to billing at carl@example.org"
        review = await review_after(pilot, app, "ctrl+l")
        assert len(review.data.parts) > 1 and "e-mail" in review.data.hold
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is review and replies(ctx) == []
