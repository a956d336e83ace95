"""Selecting one of our own posts sets up a reply to the customer it answered, never to ourselves."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from socialdesk.app import SocialDeskApp
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_our_own_post_sets_up_a_reply_to_the_customer(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = desk_app.desk
        conn = desk.ctx.store.conn
        own_id, parent_handle = conn.execute(
            "SELECT o.id, c.author_handle FROM posts o JOIN posts c "
            "ON c.network = o.network AND c.native_id = o.in_reply_to AND c.is_ours = 0 "
            "WHERE o.is_ours = 1 LIMIT 1"
        ).fetchone()
        desk.select_post(own_id)
        await settle(pilot)
        post = desk.selected_post
        assert post is not None and not post.is_ours and post.author_handle == parent_handle
        composer = desk.query_one(Composer)
        assert f"@{parent_handle}" in composer.target and composer.prefix.strip() in ("", f"@{parent_handle}")
        thread = desk.query_one(ThreadView).data
        assert thread is not None and any(p.id == own_id for p in thread.thread.posts)


async def test_our_tags_are_not_shown_as_hashtags_in_the_thread(desk_app: SocialDeskApp) -> None:
    from tests.ui.lines import drawn_lines

    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        desk = desk_app.desk
        post_id = desk.ctx.store.conn.execute(
            "SELECT post_id FROM post_tags WHERE tag LIKE 'queue:%' ORDER BY post_id LIMIT 1"
        ).fetchone()[0]
        desk.select_post(post_id)
        await settle(pilot)
        lines = drawn_lines(desk.query_one(ThreadView))
        assert not any("#queue:" in line for line in lines), lines
        assert any("our tags:" in line and "queue:" in line for line in lines), lines


async def test_O_opens_the_post_or_its_authors_profile_and_copies_the_link(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.screens.choice import ChoiceScreen
    from socialdesk.widgets.customer_pane import CustomerPane

    opened: list[str] = []
    copied: list[str] = []
    monkeypatch.setattr(desk_app, "open_url", lambda url, new_tab=True: opened.append(url))
    monkeypatch.setattr(desk_app, "copy_to_clipboard", copied.append)
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        desk = desk_app.desk
        post = desk.selected_post
        assert post is not None and post.url.startswith("https://")
        view = desk.query_one(CustomerPane).data
        assert view is not None
        profile = next(i.url for i in view.customer.identities if i.native_id == post.author_native_id)
        assert profile.startswith("https://") and profile != post.url  # kept from the connector's author
        for key, browsed, link in (("1", post.url, post.url), ("2", profile, profile), ("3", None, post.url)):
            await pilot.press("O")
            await settle(pilot)
            assert isinstance(desk_app.screen, ChoiceScreen)
            await pilot.press(key)
            await settle(pilot)
            assert copied[-1] == link and (browsed is None or opened[-1] == browsed)
        assert opened == [post.url, profile] and copied == [post.url, profile, post.url]
        desk.selected_post = replace(post, url="javascript:alert(1)")
        await pilot.press("O")  # the post's link is no web address: the profile, the one link left, opens
        await settle(pilot)
        assert opened == [post.url, profile, profile] and not isinstance(desk_app.screen, ChoiceScreen)
