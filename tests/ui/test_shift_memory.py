"""What the desk keeps over a long shift stays bounded (see `socialdesk bench --soak`)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.messages import ThreadOpened
from socialdesk.store import queries
from socialdesk.store.queries import INBOUND


def test_opened_threads_are_remembered_for_a_minute_not_for_the_shift(
    desk_app: SocialDeskApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = queries.feed_page(desk_app.ctx.store.conn, INBOUND, limit=1).rows[0]
    desk_app.sources = [SimpleNamespace(name=row.account, network=row.network)]  # type: ignore[list-item]
    refreshed: list[Any] = []
    monkeypatch.setattr(desk_app, "run_worker", lambda *args, **kwargs: refreshed.append(args))
    now = [1_000.0]
    desk_app.clock = lambda: now[0]
    for n in range(600):  # an agent opening a new conversation every 10 s for 100 minutes
        now[0] += 10
        desk_app.on_thread_opened(ThreadOpened(replace(row, conversation_id=f"c{n}")))
    assert len(refreshed) == 600  # each was read from its network
    assert len(desk_app._threads_refreshed) <= desk_app.THREAD_REFRESH_EVERY / 10 + 1
    desk_app.on_thread_opened(ThreadOpened(replace(row, conversation_id="c599")))
    assert len(refreshed) == 600  # the one opened 10 s ago is not read again
