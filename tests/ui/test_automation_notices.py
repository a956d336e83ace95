"""The desk runs the playbook's automations on its clock: changes show, notices ring and toast, and list."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from msgspec.structs import replace
from textual.message import Message

from socialdesk.cli import make_app
from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.messages import AutomationsRan
from socialdesk.models import Author, Post
from socialdesk.screens.notices import NoticesScreen
from socialdesk.store import Store
from tests.ui.waiting import settle

PLAYBOOK = """
[[automation]]
name = "unanswered 30m"
when = "unanswered"
after = "30m"
priority = 3
notify = "desk"
"""
NOW = 1_800_000_000.0


async def test_an_automation_pass_raises_priority_rings_and_lists_the_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook = tmp_path / "pb.toml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    settings = Settings()
    settings = replace(settings, desk=replace(settings.desk, playbook=str(playbook), agent="kim"))
    store = Store(tmp_path / "desk.db")
    post = Post(
        "x", "p1", Author("u1", "waiting_customer"), "where is my refund?", NOW - 1800 - 5, account="brand"
    )
    store.upsert_posts([post])
    ctx = Context(settings=settings, db_path=tmp_path / "desk.db")
    app = make_app(ctx, sync=False, sources=[])
    clock = [NOW - 600.0]
    app.clock = lambda: clock[0]
    rang: list[bool] = []
    monkeypatch.setattr(app, "bell", lambda: rang.append(True))
    passes: list[AutomationsRan] = []
    ran = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, AutomationsRan):
            passes.append(message)
            ran.set()

    async with app.run_test(message_hook=hook) as pilot:
        app.run_automations()  # 20 minutes in: nothing is due
        await asyncio.wait_for(ran.wait(), 30)
        assert passes[-1].changed == 0 and passes[-1].notices == [] and not rang
        ran.clear()
        clock[0] = NOW  # the post has now waited 30 minutes
        app.run_automations()
        await asyncio.wait_for(ran.wait(), 30)
        await pilot.pause()
        assert passes[-1].changed == 1 and rang == [True]
        (toast,) = [n for n in app._notifications if n.title == "Notice"]
        assert "automation 'unanswered 30m'" in toast.message and "@waiting_customer" in toast.message
        row = store.conn.execute("SELECT priority FROM posts WHERE native_id = 'p1'").fetchone()
        assert row[0] == 3
        app.show_notices()
        await settle(pilot, lambda: isinstance(app.screen, NoticesScreen))
        assert isinstance(app.screen, NoticesScreen)
        assert len(app.screen.lines) == 1 and "where is my refund?" in app.screen.lines[0]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, NoticesScreen)
