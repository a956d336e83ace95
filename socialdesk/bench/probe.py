"""Runs in a fresh subprocess: starts the desk (or the minimal baseline app) headless and reports JSON.

`python -m socialdesk.bench.probe MODE WHICH [--db PATH] [--rows N]` prints one JSON line:
- `start`: seconds from the parent's timestamp (env SOCIALDESK_BENCH_T0, taken just before spawning,
  so interpreter start-up and imports count) to the end of the first frame that shows feed rows (the
  minimal app: its first frame), then exits; also the peak RSS so far.
- `scroll`: peak RSS after opening the cache and paging the feed down through `--rows` rows (the
  minimal app: started and settled the same way, without a feed).
- `keys`: key-to-painted-frame latencies in the feed (see `socialdesk.bench.keys`).
- `soak`: a compressed shift on the demo workspace for `--minutes` (see `socialdesk.bench.soak`).
- `composer`: the composer counter per keystroke (`measure.composer`), in a process that has done
  nothing else (`WHICH` and `--db` are not used).

Only Textual (and, for `app`, socialdesk) is imported, lazily, so the baseline pays for nothing else.
The desk is started through the `socialdesk` command's own entry point (`socialdesk.launcher.main`, as
`socialdesk --db DB --offline`), so the figures follow whatever that path imports and does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

SIZE = (120, 40)


def _rss_kib() -> int:
    """Peak RSS of this process in KiB.

    ru_maxrss keeps the parent's high-water mark across fork and exec on Linux (a probe spawned by a
    60 MiB suite would report at least 60 MiB), so the per-address-space VmHWM is read when available.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def minimal_app() -> Any:
    """The baseline: Header, Static, Footer, nothing else."""
    from socialdesk.bench.minimal import Minimal

    return Minimal()


def desk_app(db: Path) -> Any:
    """The desk on the benchmark cache, built like the CLI builds it (no sync: the cache stays as is)."""
    from socialdesk.cli import build_context, make_app

    ctx = build_context(db=db, offline=True)
    return make_app(ctx, sync=False, sources=[])


def run_desk_command(db: Path, run: Any) -> None:
    """Start the desk exactly as `socialdesk --db DB --offline` does, with `run(app)` as its App.run.

    Everything the command does before the app runs (through the console script's entry point:
    argument parsing, the context, the sources) is paid for; only the final `App.run()` is swapped,
    so the probe can run the app headless at a fixed size with its frame hook. --offline keeps the
    cache as it is.
    """
    from textual.app import App

    from socialdesk import launcher

    original = App.run

    def hooked_run(app: Any, *args: Any, **kwargs: Any) -> Any:
        App.run = original  # type: ignore[method-assign]
        return run(app)

    App.run = hooked_run  # type: ignore[method-assign,assignment]
    try:
        launcher.main(["--db", str(db), "--offline"])
    finally:
        App.run = original  # type: ignore[method-assign]


class FrameWatch:
    """Hooks the app's display call: records when frames are painted and whether feed rows were drawn.

    Headless drivers skip writing to the terminal, so the hook also encodes each compositor update to
    its terminal byte sequence (what a real driver would write) to keep that cost in the figure.
    """

    def __init__(self, app: Any, feed: bool) -> None:
        self.app = app
        self.rows_drawn = not feed
        self.frames = 0
        self.last_frame = 0.0
        self.waiter: tuple[Any, asyncio.Future[float]] | None = None
        self.on_first: Any = None
        self.log: list[tuple[float, int]] | None = None  # (time, feed cursor) of every frame, when set
        self.feed: Any = None
        display = app._display
        if feed:
            from socialdesk.widgets.feed_list import FeedList

            render_line = FeedList.render_line
            watch = self

            def hooked_render_line(widget: Any, y: int) -> Any:
                if widget.window.row(int(widget.scroll_offset.y) + y) is not None:
                    watch.rows_drawn = True
                return render_line(widget, y)

            FeedList.render_line = hooked_render_line  # type: ignore[method-assign,assignment]

        def hooked_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None:
                return
            if hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
            now = time.perf_counter()
            self.frames += 1
            self.last_frame = now
            if self.rows_drawn and self.on_first is not None:
                callback, self.on_first = self.on_first, None
                callback()
            if self.log is not None and self.feed is not None:
                self.log.append((now, self.feed.cursor))
            if self.waiter is not None:
                predicate, future = self.waiter
                if not future.done() and predicate():
                    self.waiter = None
                    future.set_result(now)

        app._display = hooked_display

    async def frame_where(self, predicate: Any, timeout: float = 10.0) -> float:
        """Wait for the first frame painted after now for which `predicate()` holds; its time."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiter = (predicate, future)
        return await asyncio.wait_for(future, timeout)


def run_start(which: str, db: Path | None) -> dict[str, Any]:
    """Cold start to the first painted feed page, then exit."""
    t0 = float(os.environ.get("SOCIALDESK_BENCH_T0") or time.time())
    result: dict[str, Any] = {}

    def start(app: Any) -> None:
        watch = FrameWatch(app, feed=which != "minimal")

        def first() -> None:
            result["elapsed"] = time.time() - t0
            app.exit()

        watch.on_first = first
        app.run(headless=True, size=SIZE)

    if which == "minimal":
        start(minimal_app())
    else:
        run_desk_command(db, start)  # type: ignore[arg-type]
    result["rss_kib"] = _rss_kib()
    return result


def run_scroll(which: str, db: Path | None, rows: int) -> dict[str, Any]:
    """Peak RSS after paging the feed down through `rows` rows (the minimal app: once settled)."""
    result: dict[str, Any] = {}

    def scroll(app: Any) -> None:
        result.update(asyncio.run(_scroll(app, which, rows)))

    if which == "minimal":
        scroll(minimal_app())
    else:
        run_desk_command(db, scroll)  # type: ignore[arg-type]
    return result


async def _scroll(app: Any, which: str, rows: int) -> dict[str, Any]:
    watch = FrameWatch(app, feed=which != "minimal")
    presses = 0
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await watch.frame_where(lambda: watch.rows_drawn, timeout=60)
        if which != "minimal":
            from socialdesk.widgets.feed_list import FeedList

            feed = app.screen.query_one(FeedList)
            while feed.cursor < rows:
                await pilot.press("pagedown")
                presses += 1
                await _settle(pilot, feed)
            cursor = feed.cursor
        else:
            await pilot.pause()
            cursor = 0
    return {"rss_kib": _rss_kib(), "cursor": cursor, "presses": presses}


async def _settle(pilot: Any, feed: Any, timeout: float = 10.0) -> None:
    """Let pending window loads land until the visible rows are all loaded."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        top = int(feed.scroll_offset.y)
        if feed.window.covers(top, top + feed.scrollable_content_region.height - 1):
            return
        await pilot.pause(0.005)
    raise TimeoutError("the feed never loaded the visible rows")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run one probe, print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m socialdesk.bench.probe")
    parser.add_argument("mode", choices=("start", "scroll", "keys", "soak", "composer"))
    parser.add_argument("which", choices=("app", "minimal"))
    parser.add_argument("--db", type=Path)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=float, default=1.0)
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.mode == "start":
        result = run_start(args.which, args.db)
    elif args.mode == "scroll":
        result = run_scroll(args.which, args.db, args.rows)
    elif args.mode == "composer":
        from socialdesk.bench import measure

        result = {**measure.composer(), "pid": os.getpid()}
    elif args.mode == "soak":
        from socialdesk.bench.soak import run_soak

        result = asyncio.run(run_soak(args.minutes))
    else:
        from socialdesk.bench.keys import measure_keys

        result = asyncio.run(measure_keys(args.db, args.repeat))
    sys.stdout.write("BENCH-RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
