"""The desk on a broken playbook: it keeps the last good one (rules, queues, canned replies) and says so."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from msgspec.structs import replace
from textual.message import Message

from socialdesk.cli import make_app
from socialdesk.config import Settings
from socialdesk.context import Context
from socialdesk.messages import SourceStateChanged
from socialdesk.services.playbook_keeper import PlaybookKeeper
from socialdesk.services.sync import Source
from socialdesk.store import Store
from socialdesk.widgets.status_bar import StatusBar
from tests.conftest import demo_connector

GOOD = (
    '[[macro]]\nname = "only-macro"\ntext = "Hi {customer.name}"\n'
    '[[queue]]\nname = "Team queue"\nkey = 1\nquery = "is:open"\n'
    '[[rule]]\nname = "everything"\naccount = "demo"\ntag = "kept"\n'
)


def write(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


async def test_desk_keeps_the_last_good_playbook_and_says_so(tmp_path: Path, pinned_clock: float) -> None:
    playbook = tmp_path / "pb.toml"
    write(playbook, GOOD)
    settings = Settings()
    settings = replace(settings, desk=replace(settings.desk, playbook=str(playbook)))
    store = Store(tmp_path / "desk.db")
    PlaybookKeeper(store, str(playbook), "agent").current()  # yesterday's good version
    write(playbook, GOOD.replace("account =", "acount ="))
    ctx = Context(settings=settings, db_path=tmp_path / "desk.db")
    app = make_app(ctx, sync=True, sources=[Source("demo", demo_connector(posts=60))])
    synced = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, SourceStateChanged):
            synced.set()

    async with app.run_test(message_hook=hook) as pilot:
        await asyncio.wait_for(synced.wait(), 120)
        bar = app.desk.query_one(StatusBar)
        # The verdict goes to the app, the source's state to the desk: wait for the one asserted (the
        # outbox worker runs until the app exits, so `settle` would never see the app idle).
        deadline = asyncio.get_running_loop().time() + 60
        while not bar.playbook_refused and asyncio.get_running_loop().time() < deadline:
            await pilot.pause()
        assert "PLAYBOOK REFUSED" in bar.render().plain
        (toast,) = [n for n in app._notifications if n.title == "Playbook refused"]
        assert "unknown key 'acount'" in toast.message and "last good playbook" in toast.message
        assert [q.name for q in app.desk.triage_queues] == ["Team queue"]
        assert [m.name for m in app.desk.reply_macros.items] == ["only-macro"]
    inbound = store.conn.execute("SELECT COUNT(*) FROM posts WHERE is_ours = 0").fetchone()[0]
    kept = store.conn.execute("SELECT COUNT(*) FROM post_tags WHERE tag = 'kept'").fetchone()[0]
    assert inbound > 0 and kept >= inbound
