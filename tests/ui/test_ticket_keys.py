"""Pilot tests of the ticket keys: m merges into a ticket the agent names, s splits, U undoes; audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from socialdesk.app import SocialDeskApp
from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.launcher import make_app
from socialdesk.models import Author, PostRow
from socialdesk.screens.macro_picker import MacroPickerScreen
from socialdesk.screens.note import PromptScreen
from socialdesk.screens.ticket_actions import TICKET_BINDINGS, TicketActions
from socialdesk.services.feed_model import FeedModel
from socialdesk.services.query import parse_query
from socialdesk.services.ticket_changes import merge
from socialdesk.store.queries import get_post
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle
from tests.unit.test_tickets import conversation


class Host(TicketActions, Screen[None]):
    BINDINGS = TICKET_BINDINGS

    def __init__(self, ctx: Context, post: PostRow | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.selected_post = post
        self.thread_refreshes = 0

    def compose(self) -> ComposeResult:
        yield Static("host")

    def refresh_thread(self) -> None:
        self.thread_refreshes += 1


class HostApp(App[None]):
    def __init__(self, ctx: Context, post: PostRow | None) -> None:
        super().__init__()
        self.host = Host(ctx, post)

    def on_mount(self) -> None:
        self.push_screen(self.host)


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    settings = Settings()
    settings.desk.agent = "Ana"
    return Context(settings=settings, db_path=tmp_path / "t.db")


def ticket(ctx: Context, post_id: int) -> str:
    detail = FeedModel(ctx.store).load_detail(post_id).thread
    assert detail is not None
    return detail.ticket


def audit(ctx: Context) -> list[tuple[str, dict[str, object]]]:
    rows = ctx.store.conn.execute("SELECT action, detail FROM audit WHERE action LIKE 'ticket.%' ORDER BY id")
    return [(action, json.loads(detail)) for action, detail in rows]


async def test_m_merges_into_the_named_ticket_and_U_undoes_it(ctx: Context) -> None:
    ids = conversation(ctx.store)
    assert (ticket(ctx, ids["1"]), ticket(ctx, ids["10"])) == ("T-1001", "T-1004")
    app = HostApp(ctx, get_post(ctx.store.conn, ids["10"]))
    async with app.run_test() as pilot:
        await pilot.press("m")
        await settle(pilot, until=lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "t-1001"
        await pilot.press("enter")
        await settle(pilot)
        assert ticket(ctx, ids["10"]) == "T-1001" and app.host.thread_refreshes == 1
        assert any("T-1004 merged into T-1001" in n.message for n in app._notifications)
        await pilot.press("U")
        await settle(pilot)
        assert ticket(ctx, ids["10"]) == "T-1004"
    assert audit(ctx) == [
        ("ticket.merge", {"ticket": "T-1004", "into": "T-1001"}),
        ("ticket.unmerge", {"ticket": "T-1004"}),
    ]


async def test_merging_another_customers_ticket_is_refused(ctx: Context) -> None:
    ids = conversation(ctx.store)
    from socialdesk.models import Post

    ctx.store.upsert_posts([Post("mastodon", "77", Author("b", "bob@x.example"), "hello", 7.0)])
    bob = ctx.store.conn.execute("SELECT id FROM posts WHERE native_id = '77'").fetchone()[0]
    ticket(ctx, ids["1"])
    ticket(ctx, bob)
    app = HostApp(ctx, get_post(ctx.store.conn, bob))
    async with app.run_test() as pilot:
        await pilot.press("m")
        await settle(pilot, until=lambda: isinstance(app.screen, PromptScreen))
        app.screen.query_one(Input).value = "T-1001"
        await pilot.press("enter")
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors == ["T-1001 is another customer's: merge one customer's conversations"]
    assert ticket(ctx, bob) == f"T-{1000 + bob}" and audit(ctx) == []


async def test_s_splits_the_post_and_its_replies_off_and_U_puts_them_back(ctx: Context) -> None:
    ids = conversation(ctx.store)
    assert ticket(ctx, ids["1"]) == "T-1001"
    app = HostApp(ctx, get_post(ctx.store.conn, ids["3"]))
    async with app.run_test() as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert ticket(ctx, ids["3"]) == "T-1002" and ticket(ctx, ids["2"]) == "T-1001"
        await pilot.press("U")
        await settle(pilot)
        assert ticket(ctx, ids["3"]) == "T-1001"
        await pilot.press("U")
        await settle(pilot)
        assert any("No merge or split to undo" in n.message for n in app._notifications)
    assert [a for a, _ in audit(ctx)] == ["ticket.split", "ticket.unsplit"]


async def test_the_first_post_of_a_conversation_cannot_be_split_off(ctx: Context) -> None:
    ids = conversation(ctx.store)
    ticket(ctx, ids["1"])
    app = HostApp(ctx, get_post(ctx.store.conn, ids["1"]))
    async with app.run_test() as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert any("starts its conversation" in n.message for n in app._notifications)


async def test_the_desk_shows_the_ticket_under_the_post_and_search_finds_it(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        thread = desk_app.desk.query_one(ThreadView)
        await settle(pilot, until=lambda: thread.data is not None)
        assert thread.data is not None and thread.data.ticket.startswith("T-")
        label = thread.data.ticket
        assert any(f"Ticket {label}" in line for line in drawn_lines(thread))
        focus = thread.data.thread.focus.id
        await pilot.press("j")
        await settle(pilot)
        desk_app.desk.set_feed_filter(parse_query(label), f"Search: {label}")
        await settle(pilot, until=lambda: desk_app.desk.feed.window.exact)
        assert focus in {row.id for row in desk_app.desk.feed.window.rows}


async def test_a_merged_conversation_is_drawn_under_the_thread(ctx: Context) -> None:
    ids = conversation(ctx.store)
    ticket(ctx, ids["1"])
    ticket(ctx, ids["10"])
    merge(ctx.store, "Ana", ids["10"], "T-1001")
    app = make_app(ctx, sync=False, sources=[])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.desk.select_post(ids["1"])
        thread = app.desk.query_one(ThreadView)
        await settle(pilot, until=lambda: thread.data is not None and thread.data.thread.focus.id == ids["1"])
        assert "Ticket T-1001 · merged in: T-1004" in "\n".join(drawn_lines(thread))
        thread.focus()
        await pilot.press("end")
        await settle(pilot)
        drawn = "\n".join(drawn_lines(thread))
        assert "Merged conversation T-1004" in drawn and "still no parcel" in drawn


async def test_a_canned_reply_quotes_the_ticket_the_thread_shows(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        thread = desk_app.desk.query_one(ThreadView)
        await settle(pilot, until=lambda: thread.data is not None)
        assert thread.data is not None
        label = thread.data.ticket
        await pilot.press("r", "ctrl+t")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, MacroPickerScreen))
        await pilot.press(*"apology", "enter")
        await settle(pilot)
        assert f"(your ticket: {label})" in desk_app.desk.composer_text()
