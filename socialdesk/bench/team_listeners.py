"""`socialdesk bench --team`, a status change seen by every desk, the server's share: desks as async clients.

Desk processes (bench/team_desk.py) cannot be measured at 200 on a small machine: each spends about
3 ms of CPU per commit storing what it read into its own cache, which deployed runs on the desk's own
computer. Here each desk is what the server sees of it, an asynchronous client in one process: a
LISTEN connection that, on each notification, reads the tables it names past its feed position with
the feed's own statement (team/feed.py), and looks again shortly while rows are held back, as
services/team_follow.py does. A change counts as seen by a desk when its read returned the resolved
conversation. What grows from 20 to 200 desks here is the server's fan-out, which no desk can hide.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from socialdesk.bench.team_arrivals import Arrivals
from socialdesk.bench.team_desk import (
    ARRIVAL_PAGE,
    ARRIVALS_PER_S,
    CHANGE_EVERY,
    SEEN_TIMEOUT,
    START_TIMEOUT,
    WARM_UP,
    _machine_busy,
    _server_cpu,
    figures,
    seed,
)
from socialdesk.team import feed
from socialdesk.team.connect import connect
from socialdesk.team.schema import CHANNEL, REPLICATED

WAKE_EVERY = 0.5  # how often a waiting client looks at the stop flag (services/team_follow.py's)
BEHIND_FIRST = 0.02  # the first look again at rows an older open transaction held back (the same)


class _Seen:
    """When each desk first read each watched change, and an event per change once every desk has."""

    def __init__(self, keys: list[str], desks: int) -> None:
        self.desks = desks
        self.at: dict[str, dict[int, float]] = {key: {} for key in keys}
        self.everywhere = {key: asyncio.Event() for key in keys}

    def read(self, index: int, rows: list[dict[str, Any]]) -> None:
        now = time.monotonic()
        for row in rows:
            times = self.at.get(row["key"]) if row["network"] == "bench" else None
            if times is not None and row["status"] == "resolved" and index not in times:
                times[index] = now
                if len(times) == self.desks:
                    self.everywhere[row["key"]].set()


async def _desk(url: str, index: int, seen: _Seen, online: asyncio.Queue[int], stop: asyncio.Event) -> None:
    """One desk's feed connection: a full first read, then the tables each notification names."""
    import psycopg
    from psycopg.rows import dict_row

    conn = await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)
    try:
        await conn.execute(f"LISTEN {CHANNEL}")
        positions = dict.fromkeys(REPLICATED, feed.START)
        tables, behind, again = set(REPLICATED), set[str](), BEHIND_FIRST
        online.put_nowait(index)
        while not stop.is_set():
            now_behind = set()
            for table in tables | behind:
                while True:
                    cur = await conn.execute(feed.statement(table), feed.arguments(positions[table]))
                    page = feed.readable(await cur.fetchall())
                    if page:
                        positions[table] = feed.position(page[-1])
                        if table == "conversations":
                            seen.read(index, page)
                    if page.held_back:
                        now_behind.add(table)
                    if page.held_back or len(page) < feed.DEFAULT_PAGE:
                        break
            again = min(WAKE_EVERY, again * 2) if behind and now_behind else BEHIND_FIRST
            behind = now_behind
            tables = set()
            async for note in conn.notifies(timeout=again if behind else WAKE_EVERY, stop_after=1):
                tables.add(note.payload)
            async for note in conn.notifies(timeout=0):
                tables.add(note.payload)
    finally:
        await conn.close()


def status_seen(url: str, desks: int, changes: int, per_page: int = ARRIVAL_PAGE) -> dict[str, Any]:
    """Async desk clients follow the feed as one agent resolves conversations; when every desk read each.

    Args:
        url: an empty database (seeded here).
        desks: desks following the feed, each its own connection in this one process.
        changes: conversations resolved, one at a time, each waited for on every desk.
        per_page: arriving posts per commit.
    """
    seed(url, changes, agents=1)
    return asyncio.run(_measure(url, desks, changes, per_page))


async def _measure(url: str, desks: int, changes: int, per_page: int) -> dict[str, Any]:
    from socialdesk.team import claims

    keys = [f"c{n + 1}" for n in range(changes)]
    seen, online, stop = _Seen(keys, desks), asyncio.Queue[int](), asyncio.Event()
    clients = [asyncio.create_task(_desk(url, i, seen, online, stop)) for i in range(desks)]
    arrivals = Arrivals(url, ARRIVALS_PER_S, per_page)
    latencies: list[float] = []
    errors: list[str] = []
    began = time.monotonic()
    try:
        for _ in range(desks):
            await _first_of(online.get(), clients, START_TIMEOUT, f"the {desks} desks did not all connect")
        started = time.monotonic() - began
        arrivals.start()
        await asyncio.to_thread(arrivals.ready.wait, 30)
        await asyncio.sleep(WARM_UP)
        with connect(url) as agent:
            ids: dict[str, int] = dict(
                agent.execute("SELECT key, id FROM conversations WHERE network = 'bench'").fetchall()
            )

            def resolve(key: str) -> float:  # the commit's time, taken where it returns
                claims.resolve(agent, int(ids[key]), "desk1")
                return time.monotonic()

            server_before, machine_before = _server_cpu(agent), _machine_busy()
            cpu_before = time.process_time()
            window_began, posts_before = time.monotonic(), arrivals.posts
            for n, key in enumerate(keys):
                await asyncio.sleep(max(0.0, window_began + n * CHANGE_EVERY - time.monotonic()))
                committed = await asyncio.to_thread(resolve, key)
                try:
                    await _first_of(seen.everywhere[key].wait(), clients, SEEN_TIMEOUT, "")
                except TimeoutError:
                    errors.append(
                        f"change {n + 1} was not seen by every desk within {SEEN_TIMEOUT:.0f} s "
                        f"({len(seen.at[key])} of {desks} had it); the measurement stopped there"
                    )
                    break
                latencies.append(max(0.0, max(seen.at[key].values()) - committed))
            window = time.monotonic() - window_began
            posts = arrivals.posts - posts_before
            server_after, machine_after = _server_cpu(agent), _machine_busy()
            client_cpu = time.process_time() - cpu_before
    finally:
        stop.set()
        arrivals.stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        if arrivals.is_alive():
            await asyncio.to_thread(arrivals.join, 10)
    commits = posts // per_page + len(latencies) + bool(errors)
    server_cpu = None if server_after is None or server_before is None else server_after - server_before
    machine = (machine_after[0] - machine_before[0], machine_after[1] - machine_before[1])
    return figures(
        desks, latencies, errors, started, window, commits, server_cpu, machine, client_cpu_ms=client_cpu
    )


async def _first_of(waited: Any, clients: list[asyncio.Task[None]], timeout: float, failed: str) -> Any:
    """`waited`'s result within `timeout` s; a desk client that failed meanwhile raises its error instead.

    Raises:
        TimeoutError: nothing came in time (RuntimeError saying `failed`, when that is given).
        RuntimeError: a desk client ended with an error (its connection refused, its read failed).
    """
    task = asyncio.ensure_future(waited)
    done, _ = await asyncio.wait([task, *clients], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for client in clients:
        if client in done and client.exception() is not None:
            task.cancel()
            raise RuntimeError(f"a desk client failed: {client.exception()}")
    if task not in done:
        task.cancel()
        if failed:
            raise RuntimeError(f"{failed} within {timeout:.0f} s")
        raise TimeoutError
    return task.result()
