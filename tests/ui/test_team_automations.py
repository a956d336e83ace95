"""A team desk leaves the playbook's automations to the hub: its own pass changes nothing in its cache."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg
import pytest
from msgspec.structs import replace
from textual.message import Message

from socialdesk.messages import AutomationsRan
from socialdesk.team import conversations
from socialdesk.widgets.feed_list import FeedList
from tests.team.desk_seed import add_post
from tests.ui.team_host import team_app
from tests.ui.waiting import settle

pytestmark = pytest.mark.postgres

PLAYBOOK = """
[escalation]
roles = ["supervisor"]

[[automation]]
name = "unanswered 15m"
when = "unanswered"
after = "15m"
priority = 3
escalate = "supervisor"
"""


async def test_a_team_desks_automation_pass_changes_nothing_in_its_cache(
    team_db: str, hub: psycopg.Connection, tmp_path: Path
) -> None:
    now = time.time()
    waiting, _ = add_post(hub, "p1", "where is my refund?", created_at=now - 3600)
    snoozed, _ = add_post(hub, "p2", "any news?", created_at=now - 3600)
    conversations.set_status(hub, snoozed, "ann", "snoozed", snoozed_until=now - 60)  # its time has come
    playbook = tmp_path / "pb.toml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    app = team_app(team_db, tmp_path)
    settings = app.ctx.settings
    app.ctx.settings = replace(settings, desk=replace(settings.desk, playbook=str(playbook)))
    passes: list[AutomationsRan] = []
    ran = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, AutomationsRan):
            passes.append(message)
            ran.set()

    def cached() -> list[tuple[str, str, int]]:
        rows = app.ctx.store.conn.execute("SELECT native_id, status, priority FROM posts ORDER BY native_id")
        return [(str(n), str(s), int(p)) for n, s, p in rows]

    async with app.run_test(size=(140, 30), message_hook=hook) as pilot:
        feed = app.desk.query_one(FeedList)
        await settle(pilot, until=lambda: feed.window.total == 2)
        before = cached()
        assert before == [("p1", "new", 1), ("p2", "snoozed", 1)]
        app.run_automations()
        await asyncio.wait_for(ran.wait(), 30)
        await pilot.pause()
        assert passes[-1].changed == 0
        assert cached() == before
        runs = app.ctx.store.conn.execute("SELECT COUNT(*) FROM automation_runs").fetchone()[0]
        assert runs == 0
    row = hub.execute("SELECT status, priority FROM conversations WHERE id = %s", (waiting,)).fetchone()
    assert row == ("new", 1)  # the desk did not act for the team either: the hub does
