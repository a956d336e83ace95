"""Pilot tests of the reply actions: review, undo, canned replies, take it private, split, outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from socialdesk.config import Settings
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.context import Context
from socialdesk.screens.macro_picker import MacroPickerScreen
from socialdesk.screens.outbox import OutboxPageLoaded, OutboxScreen
from socialdesk.screens.review import ReviewScreen
from socialdesk.services.outbox import Outbox
from socialdesk.store.queries import get_post
from tests.outbox.helpers import make_store
from tests.ui.reply_host import HostApp, demo_context, replies, review_after
from tests.ui.waiting import settle


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    return demo_context(tmp_path)


async def test_send_opens_review_then_queues_and_undo_brings_the_text_back(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "Sorry for the delay!"
        review = await review_after(pilot, app, "ctrl+s")
        assert review.data.parts == ("@user0@other.example Sorry for the delay!",)
        assert review.data.destination == "public reply" and review.data.account == "demo"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is app.host
        assert replies(ctx) == [("@user0@other.example Sorry for the delay!", "queued", 0)]
        assert app.host.text == ""
        await pilot.press("u")
        await settle(pilot)
        assert app.host.text == "Sorry for the delay!"
        assert replies(ctx)[0][1] == "discarded"


async def test_a_thread_is_reviewed_like_any_reply_and_says_it_waits_for_approval(ctx: Context) -> None:
    """One confirm-and-send modal: a split thread shows the account and the escalation hold too."""
    ctx.store.conn.execute("UPDATE posts SET status = 'escalated' WHERE id = 1")
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "words " * 100
        review = await review_after(pilot, app, "ctrl+l")
        assert len(review.data.parts) == 3
        assert "held until an approver approves it" in review.data.note
        assert str(review.query_one("#review-note", Static).render()) == review.data.note
        where = str(review.query_one("#review-where", Static).render())
        assert where.startswith("public reply, as a thread of 3 posts · Demo network · account demo")


async def test_review_escape_goes_back_without_sending(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "draft words"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.host and replies(ctx) == [] and app.host.text == "draft words"


async def test_over_the_limit_is_blocked_and_split_previews_a_thread(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "words " * 100
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is app.host  # no review for a reply that cannot be sent
        preview = await review_after(pilot, app, "ctrl+l")
        assert len(preview.data.parts) == 3
        assert len(preview.data.counts) == 3 and all(c.endswith("/280") for c in preview.data.counts)
        assert preview.data.destination.endswith(", as a thread of 3 posts") and not preview.data.over
        await pilot.press("enter")
        await settle(pilot)
        rows = replies(ctx)
        assert [r[0].rsplit(" ", 1)[1] for r in rows] == ["1/3", "2/3", "3/3"]
        assert all(r[0].startswith("@user0@other.example ") for r in rows)


async def test_the_accounts_server_limit_lets_a_long_reply_through_review(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.rules = (5000, 23)  # what the account's server announced
        app.host.text = "words " * 100
        review = await review_after(pilot, app, "ctrl+s")
        assert len(review.data.parts) == 1


async def test_macro_is_found_by_fuzzy_search_and_prompts_are_filled(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "Hello!"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, MacroPickerScreen)
        await pilot.press(*"ordr", "enter")
        await pilot.press(*"A-77", "enter")
        await pilot.press(*"Friday", "enter")
        await pilot.pause()
        assert app.screen is app.host
        assert app.host.text == "Hello! Hi User 0, order A-77 is on its way and should arrive by Friday."


async def test_macro_picker_escape_inserts_nothing(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        await pilot.press("ctrl+t")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.host and app.host.text == ""


async def test_take_private_queues_a_dm_and_a_public_note(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        review = await review_after(pilot, app, "D")
        assert review.data.parts[0].startswith("Hi User 0, this is Ana")
        await pilot.press("y")
        await settle(pilot)
        rows = replies(ctx)
        assert [(r[2], r[1]) for r in rows] == [(1, "queued"), (0, "queued")]
        assert (
            rows[1][0]
            == "@user0@other.example We've sent you a DM, User 0, so we can look into this privately."
        )


class NoDm(Connector):
    name = "x"
    display_name = "X"
    capabilities = Capabilities(max_length=280, counting="x-weighted", can_reply=True, can_dm=False)

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], None)


async def test_take_private_says_so_when_the_network_has_no_dm(ctx: Context) -> None:
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    app.host.outbox = Outbox(ctx.store, lambda n, a: NoDm())
    async with app.run_test() as pilot:
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert replies(ctx) == []
        assert any("X has no direct messages" in n.message for n in app._notifications)


def outbox_host(ctx: Context) -> tuple[HostApp, Outbox]:
    """A host whose outbox cannot send (its undo window is a minute long)."""
    outbox = Outbox(ctx.store, lambda n, a: NoDm(), undo_seconds=60)
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    app.host.outbox = outbox
    return app, outbox


async def open_outbox(pilot: Pilot[None]) -> tuple[OutboxScreen, DataTable[object]]:
    """Press `o` and wait for the outbox's first page: the screen and its table."""
    await pilot.press("o")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OutboxScreen)
    return screen, screen.query_one(DataTable)


async def test_outbox_view_lists_and_discards(ctx: Context) -> None:
    app, outbox = outbox_host(ctx)
    for i in range(3):
        outbox.enqueue(1, f"reply {i}", "Ana")
    async with app.run_test() as pilot:
        screen, table = await open_outbox(pilot)
        assert table.row_count == 3
        assert str(table.get_row_at(0)[5]) == "reply 2"  # newest first
        await pilot.press("x")
        await settle(pilot)
        assert str(screen.query_one(DataTable).get_row_at(0)[1]) == "discarded"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.host


async def test_outbox_columns_fit_their_cells_even_when_drawn_before_the_table_is_idle(ctx: Context) -> None:
    app, outbox = outbox_host(ctx)
    async with app.run_test() as pilot:
        screen, table = await open_outbox(pilot)  # empty: the columns as wide as their headers
        outbox.enqueue(1, "we refunded you", "Ana")
        rows, more = outbox.page(before_id=None, limit=10)
        screen.on_outbox_page_loaded(OutboxPageLoaded(rows, more, None))
        table.render_line(1)  # a frame drawn before the table measures its cells on idle
        await settle(pilot)
        line = table.render_line(1).text
        assert "we refunded you" in line
        assert f"{rows[0].network}/{rows[0].account}" in line


async def test_review_shows_how_public_the_reply_will_be(tmp_path: Path) -> None:
    from socialdesk.config import AccountSettings
    from tests.outbox.test_visibility import mastodon_post

    store = make_store(tmp_path / "m.db", posts=0)
    pid = mastodon_post(store, "private")
    store.close()
    settings = Settings()
    settings.accounts = [
        AccountSettings(name="support", connector="mastodon", options={"base_url": "https://m.example"})
    ]
    ctx = Context(settings=settings, db_path=tmp_path / "m.db", offline=True)
    app = HostApp(ctx, get_post(ctx.store.conn, pid))
    async with app.run_test() as pilot:
        app.host.text = "we refunded the second charge"
        review = await review_after(pilot, app, "ctrl+s")
        assert review.data.destination == "followers-only reply"  # never public for a private complaint
        where = review.query_one("#review-where", Static).render()
        assert str(where).startswith("followers-only reply · Mastodon")
        await pilot.press("escape")
        await pilot.pause()
        app.host.text = "we refunded the second charge. " * 30
        preview = await review_after(pilot, app, "ctrl+l")
        assert preview.data.destination.startswith("followers-only reply, as a thread of")


async def test_the_rules_suggested_macro_is_offered_first_and_the_preview_follows_the_prompt(
    ctx: Context,
) -> None:
    from textual.widgets import OptionList, Static

    ctx.store.conn.execute("INSERT INTO post_tags (post_id, tag) VALUES (1, 'suggest:order-status')")
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        await pilot.press("ctrl+t")
        await settle(pilot, until=lambda: isinstance(app.screen, MacroPickerScreen))
        picker = app.screen
        assert isinstance(picker, MacroPickerScreen)
        assert picker.shown[0].name == "order-status"
        assert "suggested" in str(picker.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter", *"A-7")
        await settle(pilot)
        preview = str(picker.query_one("#picker-preview", Static).render())
        assert "order A-7 is on its way" in preview  # before enter


async def test_offline_the_review_warns_and_the_toast_does_not_promise_a_send(ctx: Context) -> None:
    ctx.offline = True
    app = HostApp(ctx, get_post(ctx.store.conn, 1))
    async with app.run_test() as pilot:
        app.host.text = "We will look into it"
        await pilot.press("ctrl+s")
        await settle(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen) and "Offline" in review.data.note
        await pilot.press("y")
        await settle(pilot)
        toasts = [n.message for n in app._notifications]
        assert toasts and not any("sends in" in t for t in toasts), toasts
        assert any("until you are back online" in t and "Press u to undo" in t for t in toasts), toasts
