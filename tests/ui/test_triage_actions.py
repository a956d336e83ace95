"""Pilot tests of the triage keys on a tiny host screen: next, resolve+next, bulk, notes, escalation."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import RadioButton, Static

from socialdesk.config import Settings
from socialdesk.connectors.base import Connector
from socialdesk.context import Context
from socialdesk.models import Author, Post, PostRow
from socialdesk.screens.approvals import ApprovalsScreen
from socialdesk.screens.triage_actions import TRIAGE_BINDINGS, TriageActions
from socialdesk.services.outbox import Outbox
from socialdesk.store import PostFilter, Triage
from socialdesk.store import queue_queries as qq
from socialdesk.store.queries import get_post
from socialdesk.widgets.queue_tabs import QueueTab, QueueTabs
from tests.ui.waiting import LIMIT_SECONDS, settle

NOW = 1_800_000_000.0


def _sends_nothing(network: str, account: str) -> Connector:
    raise AssertionError("the triage keys never send")


class Host(TriageActions, Screen[None]):
    """The smallest screen providing what the mixin needs."""

    BINDINGS: ClassVar[list[BindingType]] = [*TRIAGE_BINDINGS]

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.outbox = Outbox(ctx.store, resolve_connector=_sends_nothing, clock=lambda: NOW)
        self.selected_post: PostRow | None = None
        self.marked_ids: set[int] = set()
        self.filters: list[tuple[PostFilter, str, bool]] = []
        self.refreshes = 0

    def compose(self) -> ComposeResult:
        yield QueueTabs(tuple(QueueTab(q.name, q.key) for q in self.triage_queues))
        yield Static("host")

    def set_feed_filter(self, flt: PostFilter, title: str, queue_order: bool = False) -> None:
        self.filters.append((flt, title, queue_order))

    def refresh_feed(self) -> None:
        self.refreshes += 1

    def refresh_thread(self) -> None:
        pass

    def select_post(self, post_id: int) -> None:
        self.selected_post = get_post(self.ctx.store.conn, post_id)


class HostApp(App[None]):
    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.host = Host(ctx)

    def on_mount(self) -> None:
        self.push_screen(self.host)


@pytest.fixture
def ctx(tmp_path: Path) -> Context:
    settings = Settings()
    settings.desk.agent = "ann"
    settings.desk.roles = ["agent", "approver"]
    context = Context(settings=settings, db_path=tmp_path / "t.db")
    posts = [
        Post("x", f"p{i}", Author(f"a{i}", f"user{i}"), text, NOW - 1000 + i, account="brand")
        for i, text in enumerate(["order late", "app down", "how do I pay?", "thanks!"])
    ]
    context.store.upsert_posts(
        posts, [Triage(priority=p, due_at=NOW + 60 * i) for i, p in enumerate([1, 3, 2, 0])]
    )
    return context


def post(ctx: Context, post_id: int) -> PostRow:
    row = get_post(ctx.store.conn, post_id)
    assert row is not None
    return row


async def test_next_claims_the_most_urgent_and_selects_it(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("n")
        await settle(pilot)
        host = app.host
        assert host.selected_post is not None and host.selected_post.id == 2  # priority 3
        assert post(ctx, 2).assigned_to == "ann" and post(ctx, 2).status == "open"


async def test_resolve_and_next(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        assert post(ctx, 2).status == "resolved"
        assert app.host.selected_post is not None and app.host.selected_post.id == 3  # priority 2 next


async def test_bulk_mark_then_resolve(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        host = app.host
        host.selected_post = post(ctx, 1)
        await pilot.press("space")
        host.selected_post = post(ctx, 4)
        await pilot.press("x")
        assert host.marked_ids == {1, 4}
        await pilot.press("e")
        await settle(pilot)
        assert [post(ctx, i).status for i in (1, 2, 3, 4)] == ["resolved", "new", "new", "resolved"]
        assert host.marked_ids == set()


async def test_bulk_tag_via_prompt(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.marked_ids.update({1, 2})
        await pilot.press("t")
        await pilot.press(*"two words")
        await pilot.press("enter")
        await pilot.pause()
        assert "one word" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press(*["backspace"] * 9, *"billing", "enter")
        await settle(pilot)
        assert "billing" in post(ctx, 1).tags and "billing" in post(ctx, 2).tags


async def test_snooze_asks_duration(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 3)
        await pilot.press("z", *"2h", "enter")
        await settle(pilot)
        row = post(ctx, 3)
        assert row.status == "snoozed" and row.snoozed_until is not None


async def test_note_is_stored_and_not_sent(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 1)
        await pilot.press("N")
        await pilot.press(*"called the courier")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [n.text for n in qq.notes_for(ctx.store.conn, 1)] == ["called the courier"]
        assert ctx.store.conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == 0


async def test_escalate_to_legal(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 1)
        await pilot.press("exclamation_mark")
        await pilot.pause()
        await pilot.press("enter")  # empty note: refused inline
        await pilot.pause()
        assert "note" in str(app.screen.query_one("#escalate-error").render())
        await pilot.click("RadioButton", offset=(2, 0))
        app.screen.query(RadioButton).last().value = True  # legal
        app.screen.query_one("#escalate-note").focus()
        await pilot.press(*"threatens to sue", "enter")
        await settle(pilot)
        row = post(ctx, 1)
        assert row.status == "escalated" and "escalated:legal" in row.tags
        assert qq.notes_for(ctx.store.conn, 1)[-1].text == "[escalated to legal] threatens to sue"


async def test_correct_sentiment_and_intent_from_a_list_showing_the_current_value(ctx: Context) -> None:
    from textual.widgets import Label, OptionList

    from socialdesk.screens.choice import ChoiceScreen

    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 1)
        before = post(ctx, 1)
        await pilot.press("S")
        await settle(pilot, until=lambda: isinstance(app.screen, ChoiceScreen))
        choice = app.screen
        assert isinstance(choice, ChoiceScreen)
        assert f"now: {before.sentiment_label or 'unknown'}" in str(choice.query_one(Label).render())
        assert choice.query_one(OptionList).option_count == 3
        await pilot.press("1")  # negative
        await settle(pilot)
        await pilot.press("I")
        await settle(pilot, until=lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("down", "enter")  # from the current intent, one down
        await settle(pilot)
        row = post(ctx, 1)
        intents = ("question", "complaint", "praise", "other")
        expected = intents[(intents.index(before.intent) + 1) % 4] if before.intent in intents else intents[1]
        assert (row.sentiment_label, row.intent) == ("negative", expected)


async def test_number_keys_switch_saved_queues(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("2")
        await settle(pilot)
        _flt, title, queue_order = app.host.filters[-1]
        assert title == "Negative" and queue_order
        assert app.screen.query_one(QueueTabs).active == "Negative"


async def test_approvals_screen_approves_and_rejects(ctx: Context) -> None:
    outbox = Outbox(ctx.store, resolve_connector=lambda n, a: None, clock=lambda: NOW)  # type: ignore[arg-type,return-value]
    first = outbox.enqueue(1, "We're escalating this.", "bob", needs_approval=True)[0]
    second = outbox.enqueue(2, "Sorry!", "bob", needs_approval=True)[0]
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ApprovalsScreen) and len(app.screen.rows) == 2
        await pilot.press("a")
        await settle(pilot)
        assert outbox.get(first).state == "queued" and outbox.get(first).approved_by == "ann"  # type: ignore[union-attr]
        await pilot.press("r")
        await settle(pilot)
        assert outbox.get(second).state == "discarded"  # type: ignore[union-attr]
        assert app.screen.rows == []


async def test_approvals_need_the_role(ctx: Context) -> None:
    ctx.settings.desk.roles = ["agent"]
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("A")
        await pilot.pause()
        assert not isinstance(app.screen, ApprovalsScreen)


async def test_queue_counts_that_arrive_under_a_modal_reach_the_tabs(ctx: Context) -> None:
    from textual.screen import ModalScreen

    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await settle(pilot)
        await app.push_screen(ModalScreen[None]())
        app.host.refresh_queue_counts()
        await settle(pilot)
        counts = {tab.name: tab.count for tab in app.host.query_one(QueueTabs).tabs}
        assert counts["All"] == 4


async def test_counts_asked_for_while_one_runs_wait_for_it_and_run_once_more(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A thread cannot be cancelled: counts started on every sync used to pile up in the worker pool.
    from socialdesk.services.queue import QueueService

    counted = QueueService.counts
    gate, entered = threading.Event(), threading.Event()
    running: list[int] = []
    most = 0

    def held_counts(service: QueueService, queues: Any) -> dict[str, int]:
        nonlocal most
        running.append(1)
        most = max(most, len(running))
        entered.set()
        gate.wait(LIMIT_SECONDS)
        try:
            return counted(service, queues)
        finally:
            running.pop()

    monkeypatch.setattr(QueueService, "counts", held_counts)
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        calls = 0
        original = app.host.run_worker

        def counting_worker(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += kwargs.get("group") == "queue-counts"
            return original(*args, **kwargs)

        monkeypatch.setattr(app.host, "run_worker", counting_worker)
        for _ in range(3):
            app.host.refresh_queue_counts()
        assert await asyncio.to_thread(entered.wait, LIMIT_SECONDS)
        assert calls == 1
        ctx.store.upsert_posts([Post("x", "p9", Author("a9", "user9"), "still down", NOW, account="brand")])
        gate.set()
        await settle(pilot)
        assert calls == 2 and most == 1  # one more, after the first: it sees the post that came meanwhile
        counts = {tab.name: tab.count for tab in app.host.query_one(QueueTabs).tabs}
        assert counts["All"] == 5


def toasts(app: App[None]) -> list[str]:
    return [n.message for n in app._notifications]


async def test_toasts_name_the_customer_not_an_internal_id(ctx: Context) -> None:
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        await pilot.press("n")
        await settle(pilot)
        said = toasts(app)
        assert any("@user1" in t and "app down" in t for t in said), said
        assert not any("post 2" in t for t in said), said
        await pilot.press("E")
        await settle(pilot)
        said = toasts(app)
        assert any(t.startswith("Resolved") and "@user2" in t for t in said), said
        assert not any("post 3" in t for t in said), said


async def test_bulk_toasts_count_what_changed(ctx: Context) -> None:
    # A reply in the same conversation: marking the first post pending changes two posts.
    reply = Post(
        "x", "p9", Author("a9", "user9"), "still late", NOW - 100, account="brand", conversation_id="p0"
    )
    ctx.store.upsert_posts([reply], [Triage(priority=1)])
    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 1)
        await pilot.press("p")
        await settle(pilot)
        said = toasts(app)
        assert "Pending: 1 conversation (2 posts)" in said, said
        app.host.marked_ids.update({2, 3})
        await pilot.press("e")
        await settle(pilot)
        assert "Resolved: 2 conversations" in toasts(app), toasts(app)


async def test_escalate_says_the_chosen_role_in_words_and_picks_it_by_keys(ctx: Context) -> None:
    from textual.widgets import Label

    app = HostApp(ctx)
    async with app.run_test() as pilot:
        app.host.selected_post = post(ctx, 1)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        chosen = app.screen.query_one("#escalate-chosen", Label)
        assert str(chosen.render()) == "Escalate to: Supervisor"
        await pilot.press("shift+tab", "down", "down", "enter")  # to the roles, down to Legal
        await settle(pilot)
        assert str(chosen.render()) == "Escalate to: Legal"
        await pilot.press("tab", *"threatens to sue", "enter")
        await settle(pilot)
        assert "escalated:legal" in post(ctx, 1).tags
