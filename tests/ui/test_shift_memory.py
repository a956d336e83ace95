"""What the desk keeps over a long shift stays bounded (see `socialdesk bench --soak`)."""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import Any

import pytest
from msgspec.structs import replace

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


ARENAS_AFTER_THREADS = """
import ctypes, sys, threading
from socialdesk.app import SocialDeskApp
from socialdesk.memory import limit_malloc_arenas

libc = ctypes.CDLL(None)
if "limit" in sys.argv:
    limit_malloc_arenas()
barrier = threading.Barrier(8)

def allocate():
    barrier.wait()  # all at once: each thread finds the arenas busy
    blocks = [ctypes.create_string_buffer(200_000) for _ in range(20)]
    barrier.wait()
    del blocks

threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
buffer, size = ctypes.c_char_p(), ctypes.c_size_t()
libc.open_memstream.restype = ctypes.c_void_p
stream = libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size))
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(buffer.value.decode().count("<heap nr="))
"""


def _arenas(*args: str) -> int:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", ARENAS_AFTER_THREADS, *args], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc arenas")
def test_the_desks_threads_share_two_malloc_arenas() -> None:
    # Eight threads allocating at once get arenas of their own; the desk's limit keeps them to two.
    assert _arenas() > 2
    assert _arenas("limit") <= 2


def test_the_desk_limits_the_arenas_before_any_thread_starts(
    demo_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk import app as app_module
    from socialdesk.cli import make_app

    calls: list[int] = []
    monkeypatch.setattr(app_module, "limit_malloc_arenas", lambda: calls.append(1) or True)
    make_app(demo_context, sync=False, sources=[])
    assert calls == [1]
