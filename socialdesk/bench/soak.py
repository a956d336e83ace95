"""A compressed shift on the demo workspace: what the desk's memory and key latency do over time.

Runs in a probe subprocess (`python -m socialdesk.bench.probe soak app --minutes M`): the demo
workspace, syncing live, with posts arriving `SPEEDUP` times as often as the demo network's default
(one every 0.4 s, synced every 0.3 s), and the agent's keys at `KEYS_PER_SECOND` on average (moving
through the feed, resolving a post now and then, going back to the top for what arrived). Every second the
process's resident memory is sampled; every j/k press that moves the cursor is timed to the first
painted frame that shows the cursor on the post the key moved it to.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import threading
import time
from array import array
from pathlib import Path
from typing import Any

from socialdesk.bench.measure import quantile

KEYS_PER_SECOND = 10
PACING_SEED = 8  # the gaps between keys are random, the same in every run
SPEEDUP = 10
DEMO_POST_EVERY = 4.0  # the demo network's default interval between new posts
DEMO_SYNC_EVERY = 3.0  # the desk's sync interval on the demo workspace
# The agent's keys, round and round: mostly moving, a resolve (audit entry, undo toast), back to the top.
ROUND = ("j", "j", "j", "k", "j", "j", "k", "k", "j", "j") * 5 + ("e",) + ("j", "k") * 4 + ("g",)
WARM_UP = 0.10  # the first tenth of the run settles caches; growth is measured after it


def sqlite_kib() -> int:
    """What SQLite has allocated in this process (its page caches, statements), in KiB; -1 if unknown."""
    import ctypes

    try:
        import _sqlite3

        used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError, ImportError):
        return -1
    used.restype = ctypes.c_int64
    return int(used()) // 1024


def rss_kib() -> int:
    """This process's resident memory now (VmRSS), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Samples:
    """Samples of equal width kept as machine numbers, not as Python tuples of Python floats.

    The soak runs inside the process it measures: a tuple of two floats per key timed was ~0.1 KiB,
    about 1 MiB over twenty minutes of keys, counted as the desk's own growth.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.values = array("d")

    def add(self, *values: float) -> None:
        """Record one sample (`width` numbers)."""
        self.values.extend(values)

    def __len__(self) -> int:
        return len(self.values) // self.width

    def rows(self) -> list[tuple[float, ...]]:
        """The samples as tuples, in order (built once, for the result)."""
        v, w = self.values, self.width
        return [tuple(v[i : i + w]) for i in range(0, len(v), w)]


async def run_soak(minutes: float) -> dict[str, Any]:
    """Run the shift for `minutes`; RSS samples and j/k latencies, each with its time in the run."""
    from socialdesk.bench.probe import SIZE, FrameWatch
    from socialdesk.connectors.demo import DemoConnector
    from socialdesk.launcher import build_context, make_app
    from socialdesk.services.sync import Source
    from socialdesk.widgets.feed_list import FeedList

    ctx = build_context()  # no accounts configured: the demo workspace
    connector = DemoConnector(account="demo", settings={"interval": DEMO_POST_EVERY / SPEEDUP})
    app = make_app(ctx, sync=True, sources=[Source("demo", connector)])
    app.sync_interval = DEMO_SYNC_EVERY / SPEEDUP
    watch = FrameWatch(app, feed=True)
    rss = Samples(2)  # when, KiB
    parts = Samples(4)  # when, SQLite KiB, Python blocks, threads
    keys = Samples(2)  # when sent, seconds to its frame
    missed = 0
    duration = minutes * 60
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await watch.frame_where(lambda: watch.rows_drawn, timeout=60)
        feed = app.screen.query_one(FeedList)
        started = time.perf_counter()
        next_sample = started
        pressed = 0
        due = started
        pacing = random.Random(PACING_SEED)
        # A diagnosis, not a figure (tracing slows every allocation): what grew after the warm-up.
        trace = bool(os.environ.get("SOCIALDESK_BENCH_TRACEMALLOC"))
        baseline_snapshot = None
        while (now := time.perf_counter()) - started < duration:
            if now >= next_sample:
                rss.add(now - started, rss_kib())
                parts.add(now - started, sqlite_kib(), sys.getallocatedblocks(), threading.active_count())
                next_sample += 1.0
            if trace and baseline_snapshot is None and now - started >= WARM_UP * duration:
                import tracemalloc

                tracemalloc.start(12)
                baseline_snapshot = tracemalloc.take_snapshot()
            key = ROUND[pressed % len(ROUND)]
            pressed += 1
            moves_to = _moves_to(feed, key) if app.screen is feed.screen else None
            if moves_to is not None:
                waiting = asyncio.ensure_future(watch.frame_where(moves_to, timeout=5))
                sent = time.perf_counter()
                await pilot.press(key)
                try:
                    keys.add(sent - started, await waiting - sent)
                except TimeoutError:
                    missed += 1
            else:
                await pilot.press(key)
            # Keep the pace, KEYS_PER_SECOND on average, each gap drawn anew: at exactly 0.1 s, a third
            # of the sync's 0.3 s, every key met the syncs at one phase for the whole run, set by chance
            # at its start, so whole runs were slow or fast and their tenths compared noise.
            due += pacing.uniform(0.5, 1.5) / KEYS_PER_SECOND
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        rss.add(time.perf_counter() - started, rss_kib())
        total = feed.window.total
        grew = _growth(baseline_snapshot) if baseline_snapshot is not None else []
    return {
        "parts": [(at, int(sq), int(blocks), int(threads)) for at, sq, blocks, threads in parts.rows()],
        "grew": grew,
        "minutes": minutes,
        "rss": [(at, int(kib)) for at, kib in rss.rows()],
        "keys": keys.rows(),
        "missed": missed,
        "presses": pressed,
        "posts_at_end": total,
    }


def _moves_to(feed: Any, key: str) -> Any:
    """For j or k, a predicate true once the feed's cursor is on the post the key moves to; None when
    the key moves nothing (k on the first row, j on the last) or is not a move.

    The post, not its row number: posts arriving above keep the cursor on its post and move its row
    down, so a frame showing an arrival (cursor one row down, same post) is not the key's frame.
    """
    if key not in ("j", "k"):
        return None
    target = max(0, min(feed.window.total - 1, feed.cursor + (1 if key == "j" else -1)))
    if target == feed.cursor:
        return None
    post = feed.window.row(target)
    if post is None:  # beyond the rows loaded: the row number is all there is
        return lambda: feed.cursor == target
    return lambda: feed.current is not None and feed.current.id == post.id


def _growth(before: Any, top: int = 25) -> list[str]:
    """The allocation sites that grew most since `before` (a tracemalloc snapshot), with their stacks."""
    import tracemalloc

    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    lines = []
    for stat in after.compare_to(before, "traceback")[:top]:
        frames = " <- ".join(
            f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in list(stat.traceback)[-8:][::-1]
        )
        lines.append(f"{stat.size_diff / 1024:+.1f} KiB {stat.count_diff:+d} blocks: {frames}")
    return lines


def judge(result: dict[str, Any]) -> dict[str, Any]:
    """RSS growth after the warm-up, and the last tenth's key p99 against the first tenth's.

    Each tenth's p99 is kept too (None: no key timed in it), so a drift can be read afterwards as a
    trend or one slow tenth.
    """
    duration = result["minutes"] * 60
    rss = result["rss"]
    warm = [kib for at, kib in rss if WARM_UP * duration <= at <= (WARM_UP + 0.05) * duration] or [rss[0][1]]
    end = [kib for at, kib in rss if at >= 0.95 * duration] or [rss[-1][1]]
    keys = result["keys"]
    # A short run on a loaded machine may time no key inside a tenth: then the first and the last
    # tenth of the keys timed (at least one each) stand for them.
    share = max(1, len(keys) // 10)
    first = [lat for at, lat in keys if at <= 0.1 * duration] or [lat for _, lat in keys[:share]]
    last = [lat for at, lat in keys if at >= 0.9 * duration] or [lat for _, lat in keys[-share:]]
    rss_warm, rss_end = statistics.median(warm) / 1024, statistics.median(end) / 1024
    p99_first, p99_last = quantile(first, 0.99), quantile(last, 0.99)
    return {
        "rss_after_warm_up_mib": rss_warm,
        "rss_end_mib": rss_end,
        "rss_growth": rss_end / rss_warm - 1,
        "p99_first_tenth_ms": p99_first * 1000,
        "p99_last_tenth_ms": p99_last * 1000,
        "p99_drift": p99_last / p99_first if first and last else float("nan"),
        "p99_drift_interval": drift_interval(first, last),
        "keys_timed": len(result["keys"]),
        "p99_by_tenth_ms": _p99_by_tenth(keys, duration),
    }


def drift_interval(
    first: list[float], last: list[float], resamples: int = 1000, seed: int = 1
) -> tuple[float, float]:
    """The 95% interval of the p99 drift over the keys each tenth happened to time (bootstrap).

    A tenth's p99 is set by its dozen slowest keys (about 1,150 keys timed in a tenth of a
    twenty-minute run), so two tenths of one steady run read apart by chance: this says how far. It
    does not hold what changes between tenths (the machine's load), only which keys were timed.
    """
    if not first or not last:
        return (float("nan"), float("nan"))
    draw = random.Random(seed)
    ratios = sorted(
        quantile(draw.choices(last, k=len(last)), 0.99) / quantile(draw.choices(first, k=len(first)), 0.99)
        for _ in range(resamples)
    )
    return (ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1])


def _p99_by_tenth(keys: list[tuple[float, float]], duration: float) -> list[float | None]:
    """The key p99 of each tenth of the run, in ms."""
    tenths: list[list[float]] = [[] for _ in range(10)]
    for at, latency in keys:
        tenths[min(9, int(10 * at / duration))].append(latency)
    return [quantile(t, 0.99) * 1000 if t else None for t in tenths]
