"""The thread tells our DM from our public reply, and its ages move on while it is open."""

from __future__ import annotations

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.widgets import badges
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


async def test_a_dm_and_its_public_note_are_labelled_apart(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        desk = desk_app.desk
        post = desk.selected_post
        assert post is not None
        for dm, text, key in ((1, "Sent you the tracking link", "k-dm"), (0, "We've sent you a DM", "k-pub")):
            desk.ctx.store.conn.execute(
                "INSERT INTO replies (post_id, network, account, text, dm, state, idempotency_key, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
                (post.id, post.network, post.account, text, dm, key, badges.now(), badges.now()),
            )
        desk.refresh_thread()
        await settle(pilot)
        view = desk.query_one(ThreadView)
        view.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        lines = "\n".join(drawn_lines(view))
        assert "our DM (private)" in lines and "our public reply" in lines, lines
        dm_label = next(line for line in lines.splitlines() if "our DM" in line)
        assert "our public reply" not in dm_label


async def test_ages_in_an_open_thread_move_on(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        thread = desk_app.desk.query_one(ThreadView)
        before = "\n".join(drawn_lines(thread))
        later = badges.now() + 9 * 7 * 86400  # nine weeks on: every age in the pane reads 9w or more
        monkeypatch.setattr(badges, "now", lambda: later)
        ticks = [t for t in thread._timers if t.name == "ages"]
        assert ticks, "the thread pane has no timer moving its ages on"
        thread.tick_ages()  # what the timer calls
        await settle(pilot)
        after = "\n".join(drawn_lines(thread))
        assert (after != before and " 9w ago" in after) or " 10w ago" in after, after
