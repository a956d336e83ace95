"""Pilot test of B: choose block, mute or report, read the review, confirm; the server is asked once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.models import Author, Post
from socialdesk.screens.choice import ChoiceScreen
from socialdesk.screens.review import ReviewScreen
from socialdesk.services import outbox_worker
from tests.outbox.fake_mastodon import FakeMastodon, mastodon_connector
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    server.start()
    yield server
    server.stop()


async def test_b_mutes_the_author_after_the_review(
    desk_app: SocialDeskApp, fake: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_worker, "resolver_for", lambda ctx: lambda n, a: mastodon_connector(fake.url))
    store = desk_app.ctx.store
    store.upsert_posts([Post("mastodon", "100", Author("a-user0", "user0@other.example"), "buy now", 1.0)])
    post_id = store.conn.execute("SELECT id FROM posts WHERE native_id = '100'").fetchone()[0]
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk_app.desk.select_post(post_id)
        await settle(
            pilot,
            until=lambda: (
                desk_app.desk.selected_post is not None and desk_app.desk.selected_post.id == post_id
            ),
        )
        await pilot.press("B")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ChoiceScreen))
        await pilot.press("2")  # Mute
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ReviewScreen))
        review = desk_app.screen
        assert (
            isinstance(review, ReviewScreen)
            and review.data.parts[0] == "Mute @user0@other.example on Mastodon"
        )
        assert "not told" in review.data.note and fake.muted == set()  # nothing sent before the review
        await pilot.press("y")
        await settle(pilot)
        assert fake.muted == {"a-user0"} and fake.blocked == set()
        assert any("@user0@other.example muted" in n.message for n in desk_app._notifications)
    actions = [r[0] for r in store.conn.execute("SELECT action FROM audit WHERE action LIKE 'moderation.%'")]
    assert actions == ["moderation.mute"]


async def test_b_on_the_demo_network_says_what_it_cannot_do(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("B")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ChoiceScreen))
        await pilot.press("1")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ReviewScreen))
        await pilot.press("y")
        await settle(pilot)
        errors = [n.message for n in desk_app._notifications if n.severity == "error"]
        assert errors and "offers no way to block" in errors[-1]
