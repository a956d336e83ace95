"""Pilot tests of a team desk on a real PostgreSQL: its cache follows the team, `n` claims, a colleague's
claim is shown and refused, presence and typing are shown (posts are written as the hub writes them)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.team import claims, presence
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.team_bar import TeamBar
from tests.team.desk_seed import add_post
from tests.ui.reply_host import review_after
from tests.ui.team_host import team_app, toasts
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres


def conversation_row(hub: psycopg.Connection, conversation_id: int) -> tuple[str, str, str]:
    row = hub.execute(
        "SELECT c.status, c.assigned_to, coalesce(k.agent, '') FROM conversations c "
        "LEFT JOIN claims k ON k.conversation_id = c.id AND k.lease_until > team_now() WHERE c.id = %s",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1]), str(row[2])


async def test_the_desk_shows_what_the_hub_stored_and_n_claims_with_a_lease(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    first, _ = add_post(hub, "p1", "where is my parcel", handle="carla", created_at=1_795_000_000.0)
    second, _ = add_post(hub, "p2", "refund please", handle="dave", created_at=1_795_000_100.0)
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 2)
        await pilot.press("n")
        await settle(pilot, until=lambda: any("Claimed @carla" in t for t in toasts(app)))
        assert conversation_row(hub, first) == ("open", "ann", "ann")
        assert conversation_row(hub, second) == ("new", "", "")
        assert app.desk.selected_post is not None and app.desk.selected_post.native_id == "p1"
        lease = "SELECT lease_until - team_now() FROM claims WHERE conversation_id = %s"
        row = hub.execute(lease, (first,)).fetchone()
        assert row is not None and 0 < float(row[0]) <= claims.DEFAULT_LEASE
        bar = app.desk.query_one(TeamBar)
        await settle(pilot, until=lambda: bar.line == "Claimed by you")
        await pilot.press("e")
        await settle(pilot, until=lambda: any("Resolved: 1 conversation" in t for t in toasts(app)))
        assert conversation_row(hub, first) == ("resolved", "ann", "")


async def test_a_conversation_a_colleague_holds_shows_who_and_is_never_taken_from_them(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    held, _ = add_post(hub, "p1", "where is my parcel", handle="carla", created_at=1_795_000_100.0)
    claims.claim(hub, held, "bob")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1 and bool(feed.team_marks))
        assert [m.short() for m in feed.team_marks.values()] == ["◉bob"]
        bar = app.desk.query_one(TeamBar)
        await settle(pilot, until=lambda: bar.line.startswith("Claimed by bob"))
        assert bar.held
        await pilot.press("e")
        await settle(pilot, until=lambda: any(t.startswith("Not resolved") for t in toasts(app)))
        assert "bob holds this conversation" in toasts(app)[-1]
        await pilot.press("n")
        await settle(pilot, until=lambda: any("queue is empty" in t for t in toasts(app)))
        assert conversation_row(hub, held) == ("open", "bob", "bob")


async def test_the_thread_says_who_views_and_who_types_on_it(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        bar = app.desk.query_one(TeamBar)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await settle(pilot, until=lambda: presence_of(hub, "ann", conversation) == "viewing")
        presence.mark(hub, "bob", conversation, "typing", 60)
        await settle(pilot, until=lambda: bar.line == "bob is typing a reply")
        assert [m.short() for m in feed.team_marks.values()] == ["✍bob"]
        await pilot.press("r", "h", "i")
        await settle(pilot, until=lambda: presence_of(hub, "ann", conversation) == "typing")


def presence_of(hub: psycopg.Connection, agent: str, conversation_id: int) -> str:
    row = hub.execute(
        "SELECT activity FROM presence WHERE agent = %s AND conversation_id = %s AND until > team_now()",
        (agent, conversation_id),
    ).fetchone()
    return str(row[0]) if row else ""


async def test_offline_the_desk_journals_and_shows_a_conflict_found_on_reconnect(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    from socialdesk.widgets.status_bar import StatusBar
    from tests.team.relay import relay_for, through

    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    relay = relay_for(team_db)
    relay.start()
    try:
        app = team_app(through(relay, team_db), tmp_path)
        async with app.run_test(size=(140, 30)) as pilot:
            feed = app.desk.query_one(FeedList)
            status = app.desk.query_one(StatusBar)
            await settle(pilot, until=lambda: feed.window.total == 1)
            relay.stop()
            await settle(pilot, until=lambda: status.offline)
            claims.claim(hub, conversation, "bob")  # bob takes it while ann's desk is cut off
            await pilot.press("e")
            await settle(pilot, until=lambda: any(t.startswith("Resolved offline") for t in toasts(app)))
            assert feed.current is not None and feed.current.status == "resolved"
            relay.start()
            await settle(pilot, until=lambda: any("was not applied" in t for t in toasts(app)))
            assert not status.offline
            said = next(t for t in toasts(app) if "was not applied" in t)
            assert "bob holds" in said
            await settle(pilot, until=lambda: feed.current is not None and feed.current.status == "open")
            assert conversation_row(hub, conversation) == ("open", "bob", "bob")
    finally:
        relay.stop()


async def test_the_review_warns_when_a_colleagues_reply_lands_while_you_draft(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    from textual.widgets import Static

    from socialdesk.screens.review import ReviewScreen
    from tests.team.desk_seed import add_reply

    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    add_reply(hub, conversation, "bob", "An old answer, before ann started")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        bar = app.desk.query_one(TeamBar)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await pilot.press("r", *"We are looking")
        await settle(pilot, until=lambda: presence_of(hub, "ann", conversation) == "typing")
        await pilot.press("ctrl+s")
        await settle(pilot, until=lambda: isinstance(app.screen, ReviewScreen))
        assert not app.screen.query("#review-note")  # bob's earlier reply is no collision
        await pilot.press("escape")
        add_reply(hub, conversation, "bob", "We sent a new parcel today")
        await settle(pilot, until=lambda: bar.line.startswith("⚠ bob replied while you were drafting"))
        await pilot.press("ctrl+s")
        await settle(pilot, until=lambda: isinstance(app.screen, ReviewScreen))
        note = str(app.screen.query_one("#review-note", Static).render())
        assert note.startswith("⚠ bob replied while you were drafting: “We sent a new parcel today” [queued]")
        await pilot.press("escape")


async def test_keys_change_the_teams_status_and_never_reply_over_a_colleagues_claim(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    from socialdesk.screens.review import ReviewScreen

    mine, _ = add_post(hub, "p1", "where is my parcel", handle="carla", created_at=1_795_000_100.0)
    theirs, _ = add_post(hub, "p2", "refund please", handle="dave", created_at=1_795_000_000.0)
    claims.claim(hub, theirs, "bob")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 2 and len(feed.team_marks) == 1)
        await pilot.press("p")  # the cursor is on carla's post, the newest
        await settle(pilot, until=lambda: conversation_row(hub, mine)[0] == "pending")
        await pilot.press("j", "r", *"Hello")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot, until=lambda: any("bob holds this conversation" in t for t in toasts(app)))
        assert not isinstance(app.screen, ReviewScreen)
        await pilot.press("escape", "p")
        await settle(pilot, until=lambda: sum("bob holds this conversation" in t for t in toasts(app)) == 2)
        assert conversation_row(hub, theirs) == ("open", "bob", "bob")


async def test_a_reply_sent_from_a_team_desk_goes_to_the_teams_outbox_and_its_fate_comes_back(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    conversation, _ = add_post(hub, "p1", "where is my parcel", handle="carla")
    app = team_app(team_db, tmp_path)
    async with app.run_test(size=(140, 30)) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 1)
        await pilot.press("n")
        await settle(pilot, until=lambda: any("Claimed @carla" in t for t in toasts(app)))
        await pilot.press("r", *"Your parcel left today")
        await review_after(pilot, app, "ctrl+s")
        await pilot.press("y")
        await settle(pilot, until=lambda: team_reply(hub) is not None)
        row = team_reply(hub)
        assert row is not None and row[:3] == ("queued", "ann", conversation)
        assert row[3] > 0  # still inside its undo window, on the server's clock
        # The hub sends it: the agent hears it as from a solo desk's outbox.
        hub.execute(
            "UPDATE replies SET state = 'sent', remote_id = 'r1', remote_url = 'https://demo.example/r1'"
        )
        await settle(pilot, until=lambda: "Reply sent" in toasts(app))


def team_reply(hub: psycopg.Connection) -> tuple[str, str, int, float] | None:
    row = hub.execute(
        "SELECT state, agent, conversation_id, send_after - team_now() FROM replies ORDER BY id"
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), int(row[2]), float(row[3]))
