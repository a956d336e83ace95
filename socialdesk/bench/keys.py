"""Key-to-painted-frame latency in the desk's feed, driven by Pilot on a headless app.

What is measured, per key press: from just before `pilot.press(key)` hands the key event to the app,
to the end of the first compositor update (`App._display`, plus encoding it to terminal bytes) after
which the feed shows the cursor at its new position with every visible row loaded (no "…"
placeholder). A move that needs a keyset page from the store therefore counts the thread worker's
query and the repaint that follows it. The desk runs at the cache's time (its newest post) over the
week's similar-posts index, so a thread that loads while keys are pressed (the cursor rested, as
between PgDn presses) also looks up its similar posts in the pattern worker, as on a live desk.
Textual paces screen updates on a grid of 1/TEXTUAL_FPS (the desk sets 1000 unless told otherwise),
so part of each figure is the wait for the next tick.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

KEY_GAP = 0.03  # seconds between a painted frame and the next j/k press (a fast agent tapping)
REPEAT = 1 / 30  # a held key repeats about 30 times a second


async def measure_keys(db: Path, repeat: float = 1.0) -> dict[str, Any]:
    """Press j, k, PgDn and G in the feed of the cache at `db`; latencies in seconds per key.

    Args:
        db: the benchmark cache.
        repeat: multiplies the number of presses (1: 300 j, 300 k, 120 PgDn, 12 G).
    """
    from textual.message import Message

    from socialdesk.bench.corpus import END
    from socialdesk.bench.patterns import index_recent
    from socialdesk.bench.probe import SIZE, FrameWatch, _settle, desk_app
    from socialdesk.screens.pattern_actions import PatternLoaded
    from socialdesk.store import Store
    from socialdesk.widgets.feed_list import FeedList

    def n(count: int) -> int:
        return max(3, round(count * repeat))

    store = Store(db)
    index_recent(store)  # once per cache: the index then stays in it
    store.close()
    app = desk_app(db)
    app.clock = lambda: END
    watch = FrameWatch(app, feed=True)
    out: dict[str, list[float]] = {"j": [], "k": [], "pagedown": [], "G": []}
    watch.log = []
    lookups: list[Message] = []

    def hook(message: Message) -> None:
        if isinstance(message, PatternLoaded):
            lookups.append(message)

    async with app.run_test(headless=True, size=SIZE, message_hook=hook) as pilot:
        await watch.frame_where(lambda: watch.rows_drawn, timeout=60)
        feed = app.screen.query_one(FeedList)
        watch.feed = feed
        await _settle(pilot, feed)

        def shown(cursor: int) -> Any:
            def check() -> bool:
                top = int(feed.scroll_offset.y)
                return feed.cursor == cursor and feed.window.covers(
                    top, top + feed.scrollable_content_region.height - 1
                )

            return check

        async def press(key: str, expect: int, gap: float) -> float:
            started = time.perf_counter()
            waiting = asyncio.ensure_future(watch.frame_where(shown(expect)))
            await pilot.press(key)
            painted = await waiting
            await asyncio.sleep(gap)
            return painted - started

        out["j_held"] = await held(app, watch, feed, "j", n(150))
        out["k_held"] = await held(app, watch, feed, "k", n(150))
        await _settle(pilot, feed)
        await pilot.pause(0.3)
        for _ in range(n(150)):
            out["j"].append(await press("j", feed.cursor + 1, KEY_GAP))
        for _ in range(n(150)):
            out["k"].append(await press("k", feed.cursor - 1, KEY_GAP))
        for _ in range(n(80)):
            step = max(1, feed.scrollable_content_region.height - 1)
            target = min(feed.window.total - 1, feed.cursor + step)
            out["pagedown"].append(await press("pagedown", target, 0.05))
            await _settle(pilot, feed)
        for _ in range(n(10)):
            out["G"].append(await press("G", feed.window.total - 1, 0.05))
            await _settle(pilot, feed)
            await pilot.press("g")  # back to the top (not measured) so the next G jumps the whole feed
            await _settle(pilot, feed)
            await pilot.pause(0.1)
        total = feed.window.total
    return {"latencies": out, "total": total, "frames": watch.frames, "pattern_lookups": len(lookups)}


async def held(app: Any, watch: Any, feed: Any, key: str, count: int) -> list[float]:
    """Send `key` every REPEAT seconds without waiting (a held key); per key, the delay to the frame
    that first shows the cursor at or beyond where that key put it."""
    from textual import events

    step = 1 if key == "j" else -1
    start = feed.cursor
    watch.log.clear()
    sent: list[float] = []
    for _ in range(count):
        event = events.Key(key, key)
        event.set_sender(app)
        sent.append(time.perf_counter())
        app._driver.send_message(event)
        await asyncio.sleep(REPEAT)
    deadline = time.perf_counter() + 10
    while feed.cursor != start + step * count and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    latencies = []
    frames = list(watch.log)
    for i, at in enumerate(sent):
        target = start + step * (i + 1)
        shown = next((t for t, cursor in frames if t >= at and (cursor - target) * step >= 0), None)
        if shown is not None:
            latencies.append(shown - at)
    return latencies
