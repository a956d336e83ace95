"""Opening a thread asks its network for it as it is now: edits, follow-ups and deletions show."""

from __future__ import annotations

import threading

from socialdesk.app import SocialDeskApp
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Author, Post, PostRow
from socialdesk.services.sync import Source
from socialdesk.store import queries as q
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.thread_view import ThreadView
from tests.conftest import FIXED_NOW
from tests.ui.lines import drawn_lines
from tests.ui.waiting import settle

SIZE = (140, 40)


class Network(Connector):
    """Answers `refresh_thread` with what the test says the network holds now."""

    capabilities = Capabilities(max_length=500)

    def __init__(self, answer: FetchResult) -> None:
        super().__init__("demo")
        self.answer = answer
        self.asked: list[str] = []

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], cursor)

    def refresh_thread(self, native_id: str) -> FetchResult:
        self.asked.append(native_id)
        return self.answer


def as_post(row: PostRow, **changes: object) -> Post:
    post = Post(
        row.network,
        row.native_id,
        Author(row.author_native_id, row.author_handle, row.author_name),
        row.text,
        row.created_at,
        account=row.account,
        conversation_id=row.conversation_id,
    )
    for name, value in changes.items():
        setattr(post, name, value)
    return post


async def opened(
    desk_app: SocialDeskApp, pilot, answer: FetchResult | None = None
) -> tuple[FeedList, Network]:  # type: ignore[no-untyped-def]
    feed: FeedList = desk_app.desk.feed
    await settle(pilot, until=lambda: bool(feed.window.rows) and feed.window.exact)
    focus = feed.current
    assert focus is not None
    network_class = type("Network", (Network,), {"name": focus.network})
    network = network_class(answer or FetchResult([], None))
    desk_app.sources = [Source(focus.account, network)]
    return feed, network


async def test_opening_a_thread_brings_the_edit_and_the_follow_up(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed, network = await opened(desk_app, pilot)
        focus = feed.current
        assert focus is not None
        follow_up = Post(
            focus.network,
            "follow-up-1",
            Author(focus.author_native_id, focus.author_handle, focus.author_name),
            "any news? it is urgent now",
            focus.created_at + 60,
            account=focus.account,
            in_reply_to=focus.native_id,
            conversation_id=focus.conversation_id,
        )
        edited = as_post(focus, text="my order 4417 never arrived", edited_at=FIXED_NOW - 30)
        network.answer = FetchResult([edited, follow_up], None)
        await pilot.press("enter")
        await settle(pilot)
        assert network.asked == [focus.native_id]
        thread = "\n".join(drawn_lines(desk_app.desk.query_one(ThreadView)))
        assert "my order 4417 never arrived" in thread and "edited" in thread
        assert "any news? it is urgent now" in thread
        row = "\n".join(drawn_lines(feed))
        assert "edited my order" in row
        stored = q.get_post_by_native(desk_app.ctx.store.conn, focus.network, "follow-up-1")
        assert stored is not None and stored.actionable and stored.status == "new"
        await pilot.press("escape", "enter")  # opened again within the minute: not asked again
        await settle(pilot)
        assert network.asked == [focus.native_id]


async def test_a_post_deleted_on_the_network_is_marked_and_leaves_the_queue(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed, network = await opened(desk_app, pilot)
        focus = feed.current
        assert focus is not None
        network.answer = FetchResult([], None, deleted=[focus.native_id])
        await pilot.press("enter")
        await settle(pilot)
        thread = "\n".join(drawn_lines(desk_app.desk.query_one(ThreadView)))
        assert "DELETED on" in thread
        row = q.get_post(desk_app.ctx.store.conn, focus.id)
        assert row is not None and row.deleted_at is not None and not row.actionable


async def test_a_thread_read_before_the_deletion_never_replaces_the_one_read_after(
    desk_app: SocialDeskApp,
) -> None:
    """Opening reads the thread; the refresh marks the post deleted and reads it again. If the first read
    is slow (a loaded machine), its older result must not land over the newer one."""
    async with desk_app.run_test(size=SIZE) as pilot:
        feed, network = await opened(desk_app, pilot)
        focus = feed.current
        assert focus is not None
        network.answer = FetchResult([], None, deleted=[focus.native_id])
        model = desk_app.desk.model
        read = model.load_detail
        release_first = threading.Event()
        calls: list[int] = []

        def slow_first_read(post_id: int):  # type: ignore[no-untyped-def]
            calls.append(post_id)
            detail = read(post_id)
            if len(calls) == 1:  # read before the refresh marked the post; held until the second is shown
                release_first.wait(30)
            return detail

        model.load_detail = slow_first_read  # type: ignore[method-assign]
        thread_view = desk_app.desk.query_one(ThreadView)
        await pilot.press("enter")

        def shown() -> str:
            return "\n".join(drawn_lines(thread_view))

        for _ in range(2000):  # the second read is shown while the first is held (bounded, not timed)
            await pilot.pause()
            if "DELETED on" in shown():
                break
        release_first.set()
        await settle(pilot)
        assert calls == [focus.id, focus.id]
        assert "DELETED on" in shown()
