"""The demo never opens or writes a cache that is not its own.

Opening a real cache with a config without accounts once switched to demo mode: queued real replies
were "sent" to demo.example and thousands of synthetic posts were added to the real cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from socialdesk.cli import build_context, workspace_sources
from socialdesk.errors import UserError
from socialdesk.models import ReplyState
from socialdesk.services.outbox import Outbox
from socialdesk.services.outbox_worker import resolver_for
from socialdesk.services.sync import sync_source
from tests.outbox.helpers import make_store, post_id


@pytest.fixture
def real_cache(tmp_path: Path) -> tuple[Path, int]:
    """A real workspace's cache: Mastodon posts and a reply queued while offline."""
    path = tmp_path / "real.db"
    store = make_store(path, network="mastodon", account="support")
    outbox = Outbox(store, lambda network, account: pytest.fail("nothing may be sent"), undo_seconds=0)
    (reply,) = outbox.enqueue(post_id(store, "100"), "Your refund is on its way", "ana", undo_seconds=0)
    store.close()
    return path, reply


def test_a_real_cache_without_accounts_is_not_turned_into_the_demo(real_cache: tuple[Path, int]) -> None:
    path, reply = real_cache
    ctx = build_context(db=path)  # no config: no accounts
    assert not ctx.demo
    before = ctx.store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    for source in workspace_sources(ctx):  # what the desk and `sync` would pull into it
        sync_source(ctx.store, source)
    assert ctx.store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == before
    outbox = Outbox(ctx.store, resolver_for(ctx), undo_seconds=0)
    outbox.delivery.process_due()  # what the desk's outbox worker would do
    row = outbox.get(reply)
    assert row is not None and row.state != ReplyState.SENT and "demo.example" not in row.remote_url
    assert "no configured account" in row.error


def test_resolving_a_real_network_never_gives_the_demo_connector(real_cache: tuple[Path, int]) -> None:
    path, _ = real_cache
    ctx = build_context(db=path)
    ctx.demo = True  # even if a caller believes it is in the demo
    with pytest.raises(UserError, match="no configured account"):
        resolver_for(ctx)("mastodon", "support")


def test_the_demo_refuses_a_cache_that_is_not_its_own(real_cache: tuple[Path, int]) -> None:
    path, _ = real_cache
    with pytest.raises(UserError, match="not the demo's"):
        build_context(db=path, force_demo=True)  # `socialdesk --db real.db demo`


def test_the_demo_still_opens_its_own_or_a_new_cache(tmp_path: Path) -> None:
    assert build_context(db=tmp_path / "new.db").demo
    make_store(tmp_path / "demo.db", network="demo", account="demo").close()
    assert build_context(db=tmp_path / "demo.db").demo
    assert build_context(db=tmp_path / "demo.db", force_demo=True).demo


async def test_the_desk_on_a_real_cache_without_accounts_says_so_and_sends_nothing(
    real_cache: tuple[Path, int],
) -> None:
    from socialdesk.app import NO_ACCOUNTS
    from socialdesk.cli import make_app
    from tests.ui.waiting import settle

    path, reply = real_cache
    ctx = build_context(db=path)
    before = ctx.store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    app = make_app(ctx)
    async with app.run_test() as pilot:
        await settle(pilot, until=lambda: bool(app._notifications))
        assert [n.message for n in app._notifications] == [NO_ACCOUNTS]
    assert ctx.store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == before
    state = ctx.store.conn.execute("SELECT state FROM replies WHERE id = ?", (reply,)).fetchone()[0]
    assert state == ReplyState.QUEUED  # it waits for its account, neither "sent" nor failed


def _schema_readers(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every SQLite connection opened from now on, as the statements it ran (a trace per connection)."""
    import sqlite3

    opened: list[list[str]] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        ran: list[str] = []
        conn.set_trace_callback(ran.append)
        opened.append(ran)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    return opened


def test_the_demo_is_checked_on_the_connection_that_then_reads_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_store(tmp_path / "demo.db", network="demo", account="demo").close()
    opened = _schema_readers(monkeypatch)
    ctx = build_context(db=tmp_path / "demo.db")
    assert ctx.demo
    assert ctx.store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 3
    # SQLite reads a connection's whole schema on its first statement but `PRAGMA user_version` (read
    # from the file's header; even `PRAGMA journal_mode` reads the schema): once here, not twice.
    readers = [ran for ran in opened if any(statement != "PRAGMA user_version" for statement in ran)]
    assert len(readers) == 1
    assert any("account !=" in statement for statement in readers[0])


@pytest.mark.parametrize("change", ["older schema", "rollback journal"])
def test_a_cache_that_opening_would_change_is_checked_before_it_is_opened(
    real_cache: tuple[Path, int], change: str
) -> None:
    import sqlite3

    from socialdesk.store.schema import SCHEMA_VERSION

    path, _ = real_cache
    conn = sqlite3.connect(path, isolation_level=None)
    if change == "older schema":
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")  # opening it would migrate it
    else:
        conn.execute("PRAGMA journal_mode = DELETE")  # opening it would turn WAL back on
    before = (conn.execute("PRAGMA user_version").fetchone(), conn.execute("PRAGMA journal_mode").fetchone())
    conn.close()
    with pytest.raises(UserError, match="not the demo's"):
        build_context(db=path, force_demo=True)
    conn = sqlite3.connect(path)
    after = (conn.execute("PRAGMA user_version").fetchone(), conn.execute("PRAGMA journal_mode").fetchone())
    conn.close()
    assert after == before
