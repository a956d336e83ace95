"""Pilot tests of what a team desk shares beyond statuses: notes, tags and assignments reach the team
and come back from colleagues (a real PostgreSQL; posts written as the hub writes them)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.team import claims, conversations, notes
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.thread_view import ThreadView
from tests.team.desk_seed import add_post
from tests.ui.lines import drawn_lines
from tests.ui.team_host import team_app, toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres


def thread_text(app: SocialDeskApp) -> str:
    return "\n".join(drawn_lines(app.desk.query_one(ThreadView)))


def team_notes(hub: psycopg.Connection) -> list[tuple[str, str]]:
    return [(str(a), str(t)) for a, t in hub.execute("SELECT agent, text FROM notes ORDER BY id").fetchall()]


async def test_a_note_goes_to_the_team_and_a_colleagues_note_shows_in_the_thread(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await pilot.press("N", *"called the courier", "ctrl+s")
        await settle(pilot, until=lambda: team_notes(hub) == [("ann", "called the courier")])
        notes.add(hub, conversation, "bob", "the courier confirms", "bob-1", 1_795_000_500.0)  # bob's desk
        await settle(pilot, until=lambda: "NOTE bob" in thread_text(app))
        shown = thread_text(app)
        assert "the courier confirms" in shown
        assert shown.count("called the courier") == 1  # ann's own note, back from the team, once


def team_row(hub: psycopg.Connection, conversation_id: int) -> tuple[str, list[str]]:
    row = hub.execute(
        "SELECT assigned_to, tags FROM conversations WHERE id = %s", (conversation_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), sorted(row[1])


async def test_tag_and_assign_keys_reach_the_team_and_never_take_a_colleagues_conversation(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    mine, _ = add_post(hub, "p1", "where is my parcel", handle="carla", created_at=1_795_000_100.0)
    theirs, _ = add_post(hub, "p2", "refund please", handle="dave", created_at=1_795_000_000.0)
    claims.claim(hub, theirs, "bob")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 2 and len(feed.team_marks) == 1)
        await pilot.press("t", *"refund", "enter")  # the cursor is on carla's post, the newest
        await settle(pilot, until=lambda: team_row(hub, mine) == ("", ["refund"]))
        conversations.tag(hub, mine, "bob", "vip")  # bob tags it from his desk
        await settle(pilot, until=lambda: feed.current is not None and "vip" in feed.current.tags)
        assert sorted(feed.current.tags) == ["refund", "vip"]
        await pilot.press("a")
        await settle(pilot, until=lambda: team_row(hub, mine) == ("ann", ["refund", "vip"]))
        await pilot.press("j", "a")
        await settle(pilot, until=lambda: any("bob holds" in t for t in toasts(app)))
        assert team_row(hub, theirs) == ("bob", [])
        assert feed.current is not None and feed.current.assigned_to == "bob"


async def test_a_note_written_offline_shows_at_once_and_reaches_the_team_on_reconnect(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    from socialdesk.widgets.status_bar import StatusBar
    from tests.team.relay import relay_for, through

    add_post(hub, "p1", "where is my parcel", handle="carla")
    relay = relay_for(team_db)
    relay.start()
    try:
        app = team_app(through(relay, team_db), tmp_path)
        async with app.run_test(size=(140, 40)) as pilot:
            feed = app.desk.query_one(FeedList)
            status = app.desk.query_one(StatusBar)
            await settle(pilot, until=lambda: feed.window.total == 1)
            relay.stop()
            await settle(pilot, until=lambda: status.offline)
            await pilot.press("N", *"called the courier", "ctrl+s")
            await settle(pilot, until=lambda: "called the courier" in thread_text(app))
            assert team_notes(hub) == []
            relay.start()
            await settle(
                pilot, until=lambda: any("1 offline action reached the team" in t for t in toasts(app))
            )
            assert team_notes(hub) == [("ann", "called the courier")]
            came_back = "SELECT count(*) FROM team_notes"  # the feed brought the team's copy back
            await settle(pilot, until=lambda: app.ctx.store.conn.execute(came_back).fetchone()[0] == 1)
            await settle(pilot)
            assert thread_text(app).count("called the courier") == 1
    finally:
        relay.stop()


async def test_i_saves_the_customers_fields_for_the_team_and_a_colleagues_show_in_the_pane(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    from textual.widgets import Input

    from socialdesk.team import customers
    from socialdesk.widgets.customer_pane import CustomerPane
    from tests.ui.test_profile_keys import open_profile

    add_post(hub, "p1", "where is my parcel", handle="carla")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        form = await open_profile(pilot)
        form.query_one("#profile-email", Input).value = "carla@example.org"
        await pilot.press("ctrl+s")
        fields = "SELECT name, value, updated_by FROM customer_fields ORDER BY name"
        await settle(
            pilot, until=lambda: hub.execute(fields).fetchall() == [("email", "carla@example.org", "ann")]
        )
        customers.set_fields(hub, "bob", [("demo", "u-carla")], {"order": "A-77"})  # bob's desk
        pane = app.desk.query_one(CustomerPane)
        await settle(
            pilot, until=lambda: pane.data is not None and ("Order number", "A-77") in pane.data.fields
        )
        assert pane.data is not None
        assert pane.data.fields == (("E-mail", "carla@example.org"), ("Order number", "A-77"))


async def test_a_notice_an_automation_raises_for_the_team_rings_on_every_desk(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    import time

    from socialdesk.hub.automations import run_for_team
    from socialdesk.services import notifications
    from socialdesk.services.automations import parse_automation

    urgent = parse_automation(
        {"name": "urgent", "when": "unanswered", "after": "15m", "notify": ["desk", "bob"]}, 0, "pb.toml", ()
    )
    add_post(hub, "p1", "where is my parcel", handle="carla", created_at=time.time() - 3600)
    (tmp_path / "bob").mkdir()
    ann, bob = team_app(team_db, tmp_path, "ann"), team_app(team_db, tmp_path / "bob", "bob")
    said = "automation 'urgent': post 1 @carla: where is my parcel"
    async with ann.run_test(size=(140, 40)) as pilot:
        feed = ann.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        assert run_for_team(hub, [urgent], time.time(), "hub-a").fired  # the hub fires, for the team
        await settle(pilot, until=lambda: any(said in t for t in toasts(ann)))
    assert run_for_team(hub, [urgent], time.time(), "hub-a").fired == []  # once
    async with bob.run_test(size=(140, 40)) as pilot:  # bob's desk, opened later, holds it too
        feed = bob.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await settle(pilot, until=lambda: len(notifications.recent(bob.ctx.store, "bob")) == 2)
        assert not any(said in t for t in toasts(bob))  # the team's history is listed, not rung
    shown = [
        [n.audience for n in notifications.recent(app.ctx.store, app.ctx.agent.name)] for app in (ann, bob)
    ]
    assert shown == [["desk"], ["bob", "desk"]]  # each desk holds each of its notices once
