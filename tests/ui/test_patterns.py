"""Lone voice or pattern in the thread pane, `C` opens the similar posts (`R` answers them all, each
reviewed), the spike banner and `c`."""

from __future__ import annotations

import asyncio
import threading
from functools import partial

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.screens.escalate import EscalateScreen
from socialdesk.screens.macro_picker import MacroPickerScreen
from socialdesk.screens.pattern_actions import SpikesFound
from socialdesk.screens.review import ReviewScreen
from socialdesk.services.spikes import Spike
from socialdesk.widgets.spike_banner import SpikeBanner
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.waiting import settle

SIZE = (140, 40)


async def test_the_thread_says_how_many_wrote_the_same_and_c_opens_them(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot, until=lambda: desk.query_one(ThreadView).data is not None)
        conn = desk.ctx.store.conn
        outage = conn.execute(
            "SELECT p.id FROM posts p JOIN post_signatures s ON s.post_id = p.id "
            "WHERE p.text LIKE '%error 503%' ORDER BY p.created_at DESC LIMIT 1"
        ).fetchone()[0]
        desk.select_post(outage)
        await settle(
            pilot,
            until=lambda: (d := desk.query_one(ThreadView).data) is not None and d.thread.focus.id == outage,
        )
        detail = desk.query_one(ThreadView).data
        assert detail is not None and detail.pattern.startswith(("A pattern", "A few voices"))
        # The networks by the names their connectors declare, not the cache's ids.
        named = {"X", "Mastodon", "Bluesky", "Reddit", "Reviews"}
        networks = detail.pattern.rsplit(" customers on ", 1)[1].split(", ")
        assert networks and set(networks) <= named, detail.pattern
        await pilot.press("C")
        await settle(pilot)
        assert desk.view_title.startswith("Similar to @")
        assert desk.feed.window.total == len(detail.similar_ids) > 1


async def test_a_spike_raises_the_banner_and_c_opens_its_posts_and_the_escalation(
    desk_app: SocialDeskApp,
) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot)
        assert not desk.query(SpikeBanner)  # mounted on the first spike
        ids = tuple(
            r[0] for r in desk.ctx.store.conn.execute("SELECT id FROM posts WHERE is_ours = 0 LIMIT 12")
        )
        spike = Spike("similar", "[b]Is acme down?[/b] \x1b]0;pwned\x07", 12, 0.4, 11, ids)
        desk.post_message(SpikesFound([spike]))
        await settle(pilot)
        banner = desk.query_one(SpikeBanner)
        assert banner.has_class("-shown") and "Spike: 12 posts like" in str(banner.render())
        assert "\x1b" not in str(banner.render())
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(desk_app.screen, EscalateScreen) and "Spike: 12 posts" in desk_app.screen.note
        await pilot.press("enter")  # escalate to the first role, with the spike as the note
        await settle(pilot)
        assert desk.feed.window.total == 12 and desk.view_title.startswith("Spike:")
        status = desk.ctx.store.conn.execute("SELECT status FROM posts WHERE id = ?", (ids[0],)).fetchone()[0]
        note = desk.ctx.store.conn.execute("SELECT text FROM notes WHERE post_id = ?", (ids[0],)).fetchone()[
            0
        ]
        assert status == "escalated" and "Spike: 12 posts" in note


def test_spike_banner(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        desk = pilot.app.desk
        await settle(pilot, until=lambda: desk.query_one(ThreadView).data is not None)
        spike = Spike("similar", "Is brightbasket down for anyone else? Checkout fails", 23, 0.6, 21, (1, 2))
        desk.post_message(SpikesFound([spike]))
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


async def bulk_review(desk_app: SocialDeskApp, pilot, answer: str) -> tuple[list[int], int]:  # type: ignore[no-untyped-def]
    """Open the outage's similar posts (C) and start `R` with the outage macro, its prompt answered."""
    desk = desk_app.desk
    await settle(pilot, until=lambda: desk.query_one(ThreadView).data is not None)
    conn = desk.ctx.store.conn
    await pilot.press("R")  # no similar-posts queue open yet
    await settle(pilot)
    assert not isinstance(desk_app.screen, MacroPickerScreen)
    outage = conn.execute(
        "SELECT p.id FROM posts p JOIN post_signatures s ON s.post_id = p.id "
        "WHERE p.text LIKE '%error 503%' ORDER BY p.created_at DESC LIMIT 1"
    ).fetchone()[0]
    desk.select_post(outage)
    await settle(
        pilot,
        until=lambda: (d := desk.query_one(ThreadView).data) is not None and d.thread.focus.id == outage,
    )
    await pilot.press("C")
    await settle(pilot)
    cluster = desk.similar_queue[1]
    assert len(cluster) > 1
    before = conn.execute("SELECT count(*) FROM replies").fetchone()[0]
    await pilot.press("R")
    await settle(pilot)
    assert isinstance(desk_app.screen, MacroPickerScreen)
    await pilot.press(*"outage", "enter")  # outage-ack asks for the status page once
    await settle(pilot)
    await pilot.press(*answer, "enter")
    return list(cluster), before


async def test_r_sends_one_canned_reply_to_the_similar_posts_each_reviewed(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        conn = desk_app.desk.ctx.store.conn
        cluster, before = await bulk_review(desk_app, pilot, "https://status.example/{x}")
        reviewed: list[str] = []
        sent: dict[int, str] = {}
        while True:
            await settle(pilot)
            screen = desk_app.screen
            if not isinstance(screen, ReviewScreen):
                break
            assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == before + len(sent)
            post_id = int(screen.data.target.rsplit(" ", 1)[1])
            reviewed.append(screen.data.note)
            if len(reviewed) % 2:  # send every other one, skip the rest
                sent[post_id] = screen.data.parts[0]
                await pilot.press("y")
            else:
                await pilot.press("e")
        assert len(reviewed) == len(cluster) and reviewed[0].startswith(f"Reply 1 of {len(cluster)}")
        rows = dict(conn.execute("SELECT post_id, text FROM replies WHERE id > ? AND part = 1", (before,)))
        assert rows == sent and len(sent) == (len(cluster) + 1) // 2
        for post_id, text in rows.items():
            sql = "SELECT coalesce(nullif(author_name, ''), author_handle) FROM posts WHERE id = ?"
            name = conn.execute(sql, (post_id,)).fetchone()[0]
            assert f"Hi {name}," in text and "https://status.example/{x}" in text  # its own customer's name
        states = {s for (s,) in conn.execute("SELECT state FROM replies WHERE id > ?", (before,))}
        assert states <= {"queued", "awaiting_approval", "sending", "sent"}  # through the outbox


async def test_spike_checks_are_paced_by_the_desks_clock(desk_app: SocialDeskApp) -> None:
    """Detection reads the desk's clock, so its once-a-minute pacing does too (a demo or test clock
    that runs ahead gets its checks; one that stands still gets no more)."""
    now = [desk_app.clock()]
    desk_app.clock = lambda: now[0]
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot)
        checks: list[float] = []
        desk._find_spikes = lambda: checks.append(now[0])  # type: ignore[method-assign]
        desk.check_spikes()
        now[0] += 30
        desk.check_spikes()  # half a minute later: paced
        now[0] += 31
        desk.check_spikes()  # a minute after the last check that counted
        desk.check_spikes()  # the same instant: paced
        now[0] -= 3600
        desk.check_spikes()  # the clock was set back: checked at once
        assert checks == [now[0] + 3600 - 61, now[0] + 3600, now[0]]


async def test_the_thread_shows_before_its_similar_posts_are_looked_up(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The similar-posts lookup runs in a worker of its own: a slow one never holds up the thread."""
    from socialdesk.services import patterns

    release = threading.Event()
    looked_up = patterns.similar_to

    def slow(conn, post_id, now):  # type: ignore[no-untyped-def]
        release.wait(timeout=30)
        return looked_up(conn, post_id, now)

    monkeypatch.setattr(patterns, "similar_to", slow)
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        conn = desk.ctx.store.conn
        outage = conn.execute(
            "SELECT p.id FROM posts p JOIN post_signatures s ON s.post_id = p.id "
            "WHERE p.text LIKE '%error 503%' ORDER BY p.created_at DESC LIMIT 1"
        ).fetchone()[0]
        await until_shown(pilot, lambda: desk.query_one(ThreadView).data is not None)
        desk.select_post(outage)
        pane = desk.query_one(ThreadView)
        await until_shown(pilot, lambda: pane.data is not None and pane.data.thread.focus.id == outage)
        assert pane.data is not None and pane.data.pattern == ""  # the thread is up; the lookup still waits
        release.set()
        await settle(pilot, until=lambda: pane.data is not None and pane.data.pattern != "")
        assert pane.data.thread.focus.id == outage and pane.data.pattern.startswith(("A pattern", "A few"))
        desk.refresh_thread()  # read again (a status change): the line stays while it is looked up again
        await settle(pilot)
        assert pane.data.pattern.startswith(("A pattern", "A few"))


async def until_shown(pilot, condition) -> None:  # type: ignore[no-untyped-def]
    """Wait for `condition` while a worker may still be running (`settle` waits for every worker)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not condition():
        assert loop.time() < deadline, "not shown within 30 s"
        await pilot.pause()
        await asyncio.sleep(0.005)  # let the detail worker's thread run, then look again


async def test_a_new_spike_rings_the_bell_unless_told_not_to(desk_app: SocialDeskApp) -> None:
    rings: list[bool] = []
    desk_app.bell = lambda: rings.append(True)  # type: ignore[method-assign]
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        await settle(pilot)
        rings.clear()  # whatever the demo's own check found at start
        outage = Spike("keyword", "down", 19, 0.2, 19, (1, 2))
        desk.post_message(SpikesFound([outage]))
        await settle(pilot)
        desk.post_message(SpikesFound([outage]))  # the same spike again: the banner stays, no bell
        await settle(pilot)
        assert rings == [True]
        desk.ctx.settings.desk.spike_bell = False
        desk.post_message(SpikesFound([Spike("tag", "outage", 30, 0.4, 28, (1, 2))]))
        await settle(pilot)
        assert rings == [True] and "30 posts tagged outage" in str(desk.query_one(SpikeBanner).render())


async def test_r_holds_a_canned_reply_that_would_publish_personal_data(desk_app: SocialDeskApp) -> None:
    """Each bulk reply is reviewed like a single one: personal data in the public text holds it."""
    async with desk_app.run_test(size=SIZE) as pilot:
        conn = desk_app.desk.ctx.store.conn
        _cluster, before = await bulk_review(desk_app, pilot, "ana.lopez@example.org")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ReviewScreen))
        review = desk_app.screen
        assert isinstance(review, ReviewScreen)
        assert "ana.lopez@example.org" in review.data.parts[0] and "personal data" in review.data.hold
        await pilot.press("y")
        await settle(pilot)
        assert desk_app.screen is review  # y does not send a held reply; S would
        assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == before


async def test_similar_posts_are_looked_up_where_the_agent_stops_not_for_each_post_passed(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.screens import pattern_actions
    from socialdesk.services import patterns

    looked_up: list[int] = []
    similar_to = patterns.similar_to

    def recorded(conn, post_id, now):  # type: ignore[no-untyped-def]
        looked_up.append(post_id)
        return similar_to(conn, post_id, now)

    monkeypatch.setattr(patterns, "similar_to", recorded)
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        pane = desk.query_one(ThreadView)
        await settle(pilot, until=lambda: pane.data is not None)
        looked_up.clear()
        monkeypatch.setattr(pattern_actions, "PATTERN_REST", 30.0, raising=False)  # never rests below

        def showing(cursor: int) -> bool:
            post = desk.selected_post
            detail = pane.data
            return (
                desk.feed.cursor == cursor
                and post is not None
                and detail is not None
                and (detail.thread.focus.id == post.id)
            )

        for _ in range(5):
            cursor = desk.feed.cursor + 1
            await pilot.press("j")
            await until_shown(pilot, partial(showing, cursor))
        assert looked_up == []  # five threads passed, none looked up
        monkeypatch.setattr(pattern_actions, "PATTERN_REST", 0.05, raising=False)
        await pilot.press("k")
        await settle(pilot, until=partial(showing, desk.feed.cursor))
        assert desk.selected_post is not None
        assert looked_up == [desk.selected_post.id]  # the post the agent stopped on, once
