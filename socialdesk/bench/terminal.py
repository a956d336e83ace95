"""Times the complete first screen in a pseudo-terminal: spawn to the frame where everything is drawn.

The app runs as an agent runs it, on a pty of 160x48 (its real driver, its real output), and what it
writes is read back through pyte, a VT emulator. Reading is kept apart from parsing: bytes are read and
timestamped as soon as the pty has them, and parsed only while the app is quiet, so the emulator's own
speed (much slower than a real terminal's) does not land in the figure. The time of a screen is the
read time of the chunk after which it was complete.
"""

from __future__ import annotations

import os
import re
import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

COLS, ROWS = 160, 48
MINIMAL_TEXT = "socialdesk benchmark baseline"
MINIMAL_SCRIPT = Path(__file__).with_name("minimal.py")
COUNTER = re.compile(r"\d+/\d+")

# What a screen must show to count as complete, checked on the emulated screen's lines.
Parts = dict[str, Callable[[list[str]], bool]]


def _panes(line: str) -> list[str]:
    """A desk line split at the panes' vertical rules (feed, thread or composer, customer)."""
    return line.split("│")


def _pane(lines: list[str], row: int, index: int) -> str:
    if row >= len(lines):
        return ""
    panes = _panes(lines[row])
    return panes[index].strip() if len(panes) == 3 else ""


def desk_parts(rows: int = ROWS) -> Parts:
    """The desk's complete first screen: feed rows to the bottom, a thread, a customer, the counter.

    The three panes fill the rows between the queue tabs (row 3) and the footer (the last row); the
    composer's counter is the middle pane's last line.
    """
    first, last = 3, rows - 2
    return {
        "feed": lambda s: bool(_pane(s, first, 0)) and bool(_pane(s, last, 0)),
        "thread": lambda s: any(_pane(s, r, 1) for r in range(first, first + 4)),
        "customer": lambda s: bool(_pane(s, first, 2)),
        "counter": lambda s: bool(COUNTER.search(_pane(s, last, 1))),
        "footer": lambda s: "Quit" in s[rows - 1],
    }


# The parts the figure waits for; the footer's time is kept as a detail.
DESK_REQUIRED = ("feed", "thread", "customer", "counter")


def minimal_parts(rows: int = ROWS) -> Parts:
    """The minimal app's complete screen: its header, its one Static, and its footer's palette key."""
    return {
        "header": lambda s: "Minimal" in s[0],
        "static": lambda s: any(MINIMAL_TEXT in line for line in s[1:-1]),
        "footer": lambda s: "palette" in s[rows - 1],
    }


class Screen(msgspec.Struct):
    """When each part of a screen was first complete, seconds after the spawn."""

    elapsed: float | None
    parts: dict[str, float] = msgspec.field(default_factory=dict)
    last: str = ""


def first_screen(
    argv: list[str],
    env: dict[str, str],
    parts: Parts,
    required: tuple[str, ...] | None = None,
    timeout: float = 60.0,
    size: tuple[int, int] = (COLS, ROWS),
) -> Screen:
    """Spawn `argv` on a pty and time it until every `required` part (default: all) is on screen.

    Args:
        argv: the command.
        env: its environment (TERM is set here).
        parts: name -> test on the screen's lines.
        required: the parts that make the screen complete.
        timeout: give up after this long (the result's `elapsed` is then None).
        size: the terminal's columns and rows.

    Returns:
        The time of the complete screen, the first time of every part seen, and the last screen.
    """
    import pyte
    from ptyprocess import PtyProcess

    cols, rows = size
    needed = tuple(parts) if required is None else required
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    started = time.perf_counter()
    proc = PtyProcess.spawn(argv, dimensions=(rows, cols), env=env)
    pending: list[tuple[float, bytes]] = []
    seen: dict[str, float] = {}
    result = Screen(None)
    deadline = started + timeout
    try:
        while time.perf_counter() < deadline and not all(n in seen for n in parts):
            if select.select([proc.fd], [], [], 0.005)[0]:
                try:
                    data = os.read(proc.fd, 1 << 16)
                except OSError:  # the app exited (EIO on Linux)
                    data = b""
                if not data:
                    break
                pending.append((time.perf_counter() - started, data))
                continue
            # Quiet: parse what arrived, in order, checking the screen after each chunk.
            for at, data in pending:
                stream.feed(data)
                lines = screen.display
                for name, test in parts.items():
                    if name not in seen and test(lines):
                        seen[name] = at
                if result.elapsed is None and all(n in seen for n in needed):
                    result.elapsed = at
            pending.clear()
        result.parts = seen
        result.last = "\n".join(screen.display)
    finally:
        proc.terminate(force=True)
    return result


def desk_command() -> list[str]:
    """The `socialdesk` console script next to this interpreter (as installed), else `python -m`."""
    import sys

    script = Path(sys.executable).parent / "socialdesk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "socialdesk"]


def minimal_command() -> list[str]:
    """The minimal Textual app, run as a plain script (it imports Textual and nothing of socialdesk)."""
    import sys

    return [sys.executable, str(MINIMAL_SCRIPT)]


def describe(result: Screen) -> dict[str, Any]:
    """A result as JSON-ready numbers."""
    return {"elapsed": result.elapsed, "parts": dict(result.parts)}
