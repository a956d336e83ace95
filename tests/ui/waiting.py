"""The one way UI tests wait: until the app is idle, never for a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump
from textual.pilot import Pilot
from textual.widgets._toast import Toast

# Only turns a hang into a failure; a healthy wait ends as soon as the app is idle.
LIMIT_SECONDS = 60.0


def _pumps(app: App[Any]) -> list[MessagePump]:
    pumps: list[MessagePump] = [app]
    for screen in app.screen_stack:
        pumps.append(screen)
        pumps.extend(screen.walk_children(with_self=False))
    return pumps


def _pending_one_shot_timers(app: App[Any]) -> bool:
    """Whether a `set_timer` callback (a debounced load, a draft save) is still to run.

    Intervals (repeat forever) never finish and toasts' own timeouts are not the app's work.
    """
    for pump in _pumps(app):
        if isinstance(pump, Toast):
            continue
        for timer in list(pump._timers):
            task = timer._task
            if timer._repeat == 0 and task is not None and not task.done() and timer._active.is_set():
                return True
    return False


def _messages_waiting(app: App[Any]) -> bool:
    """Whether a message (a timer's callback, a worker's result) is queued and not yet handled."""
    return any(not pump._message_queue.empty() for pump in _pumps(app))


# Workers that run as long as the app does (a team desk following its database): never "done".
FOLLOWERS = frozenset({"team-feed", "team-outbox"})


def _work(app: App[Any]) -> list[Any]:
    return [worker for worker in app.workers if worker.group not in FOLLOWERS]


def _busy(app: App[Any]) -> bool:
    return (
        any(worker.is_running for worker in _work(app))
        or _pending_one_shot_timers(app)
        or _messages_waiting(app)
    )


async def settle(pilot: Pilot[Any], until: Callable[[], bool] | None = None) -> None:
    """Wait until no worker runs, no one-shot timer is pending, messages are handled, and `until()` holds.

    Args:
        pilot: the test's pilot.
        until: an extra condition the test waits for (a window loaded, a screen shown).
    """
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIMIT_SECONDS
    while True:
        await pilot.pause()
        # A worker cancelled meanwhile (an exclusive one replaced) is done too.
        await asyncio.gather(*[worker.wait() for worker in _work(app)], return_exceptions=True)
        await pilot.pause()
        if not _busy(app) and (until is None or until()):
            return
        if loop.time() > deadline:
            busy = [(w.group, w.description, w.state) for w in _work(app) if w.is_running]
            timers = _pending_one_shot_timers(app)
            queued = [type(p).__name__ for p in _pumps(app) if not p._message_queue.empty()]
            raise AssertionError(f"the app did not settle within {LIMIT_SECONDS} s: {busy} {timers} {queued}")
        await asyncio.sleep(0.005)  # let timers and threads run, then look again
