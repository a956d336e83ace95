"""End to end: the real `socialdesk demo` command in a pseudo-terminal, read back through a VT emulator."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pyte = pytest.importorskip("pyte")
ptyprocess = pytest.importorskip("ptyprocess")

pytestmark = pytest.mark.e2e

COLS, ROWS = 140, 40


class Terminal:
    """A socialdesk process on a pty, with the screen it draws kept up to date by pyte."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.proc = ptyprocess.PtyProcess.spawn(argv, dimensions=(ROWS, COLS), env=env)

    def pump(self, seconds: float = 0.1) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if self.proc.fileobj and not self._readable(0.02):
                    continue
                self.stream.feed(self.proc.read(65536))
            except EOFError:
                return

    def _readable(self, timeout: float) -> bool:
        import select

        return bool(select.select([self.proc.fd], [], [], timeout)[0])

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            if predicate(self.text()):
                return self.text()
        raise AssertionError(f"screen never matched; last screen:\n{self.text()}")

    def press(self, keys: str) -> None:
        self.proc.write(keys.encode())

    def thread_pane(self) -> str:
        # The middle column of the desk (between the feed and the customer pane).
        return "\n".join(line[COLS * 5 // 12 : COLS * 9 // 12] for line in self.screen.display[1:6])


def socialdesk_command() -> list[str]:
    script = Path(sys.executable).parent / "socialdesk"
    if script.exists():
        return [str(script)]
    found = shutil.which("socialdesk")
    return [found] if found else [sys.executable, "-m", "socialdesk"]


def test_demo_opens_moves_and_quits(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "SOCIALDESK_DATA_DIR": str(tmp_path / "data"),
        "SOCIALDESK_CONFIG_DIR": str(tmp_path / "config"),
    }
    env.pop("TEXTUAL", None)
    started = time.monotonic()
    term = Terminal([*socialdesk_command(), "demo"], env)
    try:
        screen = term.wait_for(lambda s: "DEMO" in s and s.count("NEW") > 5, timeout=60)
        first_screen = time.monotonic() - started
        print(f"\nfirst screen with feed rows after {first_screen:.2f}s")
        assert "socialdesk" in screen and "demo: " in screen
        assert "Quit" in screen.splitlines()[-1]  # the footer shows the keys that matter
        # A first run asks the agent's name (replies must never say "I'm agent"), and keeps it.
        term.wait_for(lambda s: "Welcome! Your name" in s, timeout=10)
        term.press("Ana\r")
        term.wait_for(lambda s: "Welcome! Your name" not in s, timeout=10)
        assert 'agent = "Ana"' in (tmp_path / "config" / "config.toml").read_text()
        before = term.wait_for(lambda s: "ago" in term.thread_pane())
        term.press("j")
        term.wait_for(
            lambda s: (
                term.thread_pane() != before.split("\n")[0]
                and "ago" in term.thread_pane()
                and term.thread_pane() != _pane_of(before)
            ),
            timeout=10,
        )
        after_j = term.thread_pane()
        term.press("k")
        term.wait_for(lambda s: term.thread_pane() != after_j, timeout=10)
        term.press("?")
        term.wait_for(lambda s: "Move around" in s and "feed.down" in s, timeout=10)
        term.press("\x1b")
        term.wait_for(lambda s: "Move around" not in s, timeout=10)
        term.press("q")
        deadline = time.monotonic() + 15
        while term.proc.isalive() and time.monotonic() < deadline:
            term.pump(0.1)
        assert not term.proc.isalive(), "q did not quit"
        assert term.proc.exitstatus == 0
    finally:
        if term.proc.isalive():
            term.proc.terminate(force=True)


def _pane_of(screen_text: str) -> str:
    lines = screen_text.split("\n")
    return "\n".join(line[COLS * 5 // 12 : COLS * 9 // 12] for line in lines[1:6])
