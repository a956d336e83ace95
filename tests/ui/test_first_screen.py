"""The desk's first frame is complete: the first post's thread, composer counter and customer are in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.message import Message

from socialdesk.app import SocialDeskApp
from socialdesk.messages import CustomerLoaded, ThreadLoaded
from socialdesk.screens.desk import DeskScreen
from socialdesk.screens.pattern_actions import PatternLoaded
from socialdesk.screens.queue_actions import QueueCountsLoaded
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.waiting import settle


class LoadsSeen:
    """A message hook that notes the loads the desk starts after its first page."""

    def __init__(self) -> None:
        self.loaded: set[type[Message]] = set()

    def __call__(self, message: Message) -> None:
        if isinstance(message, (QueueCountsLoaded, PatternLoaded)):
            self.loaded.add(type(message))

    def both(self) -> bool:
        return self.loaded == {QueueCountsLoaded, PatternLoaded}


async def test_the_first_frame_shows_the_first_posts_detail_read_before_the_ui(
    desk_app: SocialDeskApp,
) -> None:
    read_again: list[Message] = []

    def hook(message: Message) -> None:
        if isinstance(message, (ThreadLoaded, CustomerLoaded)):
            read_again.append(message)

    async with desk_app.run_test(size=(160, 48), message_hook=hook) as pilot:
        screen = desk_app.screen
        first = screen.query_one(FeedList).current
        assert first is not None
        # Ready means the first frame was drawn: the panes were filled before it, from the preload.
        thread = screen.query_one(ThreadView).data
        assert thread is not None and thread.thread.focus.id == first.id
        customer = screen.query_one(CustomerPane).data
        assert customer is not None and customer.customer.id == first.customer_id
        counter = str(screen.query_one("#composer-counter").render())
        assert "/" in counter, counter
        await settle(pilot)
        assert read_again == []  # the cursor's first highlight reads nothing again
        await pilot.press("j")  # moving on reads the next post, as before
        second = screen.query_one(FeedList).current
        assert second is not None and second.id != first.id
        await settle(pilot)
        assert {(type(m), m.post_id) for m in read_again} >= {
            (ThreadLoaded, second.id),
            (CustomerLoaded, second.id),
        }


async def test_work_no_pane_of_the_first_frame_shows_starts_only_after_it_is_painted(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queue counts, similar posts, the counter's warm-up and the read of where the agent left the desk
    took the GIL and the import lock from the UI thread while it drew the first frame: they start once
    that frame is painted, and still run."""
    happened: list[str] = []

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(self: Any, *args: Any) -> Any:
            happened.append(name)
            return original(self, *args)

        return recorded

    for name in ("_after_first_page", "refresh_queue_counts", "_load_pattern", "restore_place"):
        monkeypatch.setattr(DeskScreen, name, spy(name, getattr(DeskScreen, name)))
    async with desk_app.run_test(size=(160, 48), message_hook=(seen := LoadsSeen())) as pilot:
        await settle(pilot, until=seen.both)
    assert happened[0] == "_after_first_page", happened
    assert {"refresh_queue_counts", "_load_pattern", "restore_place"} <= set(happened)


async def test_the_counter_warms_up_when_the_agent_turns_to_the_composer_not_before(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counter's tables (twitter-text's emoji data, ~7 MiB resident) serve only a reply being
    written: an agent reading the feed never pays for them; `r` warms them while the reply is begun."""
    warmed: list[str] = []
    monkeypatch.setattr(DeskScreen, "_warm_up", lambda self: warmed.append("warm-up"))
    async with desk_app.run_test(size=(160, 48), message_hook=(seen := LoadsSeen())) as pilot:
        await settle(pilot, until=seen.both)
        await pilot.press("j", "j", "k")
        await settle(pilot)
        assert warmed == []
        await pilot.press("r")
        await settle(pilot)
        assert warmed == ["warm-up"]
        await pilot.press("escape", "r")  # once is enough
        await settle(pilot)
        assert warmed == ["warm-up"]


async def test_the_first_frame_written_draws_the_whole_desk_keys_included(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first update that reaches the terminal is the whole screen, with every pane and the keys.

    A frame composed while Textual batches updates is dropped, and the next one sends only what changed
    since it: when the desk was pushed over Textual's default screen, that first frame was dropped and
    the thread and customer panes reached the terminal only with a later full repaint; the footer's
    keys came one recompose after the first frame.
    """
    from textual._compositor import CompositorUpdate, LayoutUpdate
    from textual.app import App

    written: list[CompositorUpdate] = []
    display = App._display

    def recorded(app: App[Any], screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate) and not app._batch_count:
            written.append(renderable)
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", recorded)
    async with desk_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        first_post = desk_app.desk.feed.current
        assert first_post is not None
    first = written[0]
    assert isinstance(first, LayoutUpdate) and first.region.size == (160, 48)
    lines = ["".join(strip.text for strip in line) for line in first.strips]
    middle = "\n".join(line.split("│")[1] for line in lines[:-1] if line.count("│") == 2)
    customer = "\n".join(line.split("│")[2] for line in lines[:-1] if line.count("│") == 2)
    assert first_post.text[:20] in middle  # the thread
    assert first_post.author_name in customer  # the customer's card
    assert re.search(r"\d+/\d+ · \d+ left", middle)  # the composer's counter
    assert "Quit" in lines[-1] and "palette" in lines[-1]  # the footer's keys


async def test_keys_held_from_the_start_hold_back_the_work_the_first_page_deferred(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queue counts, the spike check and the first post's similar posts (which imports numpy) started as
    soon as the first page was painted; their threads took the GIL from the UI thread, and an agent
    holding j from the start waited 60-250 ms for each of the first presses' frames (`socialdesk bench
    --only keys`: those presses were the held figure's p99). They wait until the keys rest, and run once;
    the first post's lookup not at all once the agent has moved on to another thread.
    """
    from socialdesk.screens import desk

    happened: list[tuple[str, tuple[Any, ...]]] = []

    def spy(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(self: Any, *args: Any) -> Any:
            happened.append((name, args))
            return original(self, *args)

        return recorded

    deferred = ("refresh_queue_counts", "_find_spikes")
    for name in ("_after_first_page", "_load_pattern", *deferred):
        monkeypatch.setattr(DeskScreen, name, spy(name, getattr(DeskScreen, name)))
    monkeypatch.setattr(desk, "KEYS_REST", 60.0)  # the keys below never rest that long
    async with desk_app.run_test(size=(160, 48), message_hook=(seen := LoadsSeen())) as pilot:
        screen = desk_app.desk
        feed = screen.query_one(FeedList)
        thread = screen.query_one(ThreadView)
        first = feed.current
        assert first is not None
        while ("_after_first_page", ()) not in happened:
            await pilot.pause()
        for _ in range(12):
            await pilot.press("j")

        def cursor_post_shown() -> bool:
            data, current = thread.data, feed.current
            return data is not None and current is not None and data.thread.focus.id == current.id

        while not cursor_post_shown():  # the panes still follow the cursor meanwhile
            await pilot.pause()
        assert [name for name, _ in happened if name in deferred] == []
        monkeypatch.setattr(desk, "KEYS_REST", 0.001)
        await pilot.press("k")  # the next move starts the rest again: now it has lasted long enough
        await settle(pilot, until=seen.both)
    assert [name for name, _ in happened if name in deferred] == list(deferred)  # once each
    assert ("_load_pattern", (first.id,)) not in happened  # the agent had moved on


async def test_a_solo_desk_mounts_no_team_line_and_no_spike_banner_until_a_spike(
    desk_app: SocialDeskApp,
) -> None:
    from socialdesk.screens.pattern_actions import SpikesFound
    from socialdesk.services.spikes import Spike
    from socialdesk.widgets.spike_banner import SpikeBanner
    from socialdesk.widgets.team_bar import TeamBar

    async with desk_app.run_test() as pilot:
        desk = desk_app.desk
        await settle(pilot)
        assert not desk.query(TeamBar) and not desk.query(SpikeBanner)  # hidden: only the start's cost
        ids = tuple(r[0] for r in desk.ctx.store.conn.execute("SELECT id FROM posts LIMIT 3"))
        desk.post_message(SpikesFound([Spike("similar", "Is acme down?", 3, 0.4, 2, ids)]))
        await settle(pilot)
        (banner,) = desk.query(SpikeBanner)
        assert banner.has_class("-shown") and desk.children.index(banner) == 1  # under the status bar
        desk.post_message(SpikesFound([]))
        await settle(pilot)
        assert not banner.has_class("-shown") and not banner.display
