"""Keeps a team desk's cache current: reads the change feed whenever a commit notifies, until told to stop.

Runs in one worker thread with its own connection (LISTEN socialdesk_changes). Each connection starts
with a full read from the cache's positions and a replay of the offline journal; then every
notification is followed by a read of the tables it names. A notification can come before its rows
are readable (an older transaction on the server is still open: team/feed.py): while a read leaves
committed rows behind, the desk looks again after `BEHIND_FIRST` s, then twice as long each time up
to `WAKE_EVERY`, notified or not, so it never sleeps on rows it has not read. The claims this desk holds are
renewed at a third of the lease. A lost connection is reported and retried, waiting longer each
time (at most `RETRY_MAX` s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import msgspec

from socialdesk.services import team_replica
from socialdesk.services.team_desk import Replayed, TeamDesk, TeamOffline
from socialdesk.team import feed

RETRY_FIRST = 1.0
RETRY_MAX = 15.0
WAKE_EVERY = 0.5  # how often the wait for a notification looks at the stop flag
BEHIND_FIRST = 0.02  # the first look again at rows an older open transaction held back


class Link(msgspec.Struct, frozen=True):
    """The desk's link to the team database: `online`, or why not."""

    online: bool
    reason: str = ""
    replayed: Replayed = msgspec.field(default_factory=Replayed)
    lost_claims: tuple[int, ...] = ()


def follow(
    desk: TeamDesk,
    stop: threading.Event,
    on_pulled: Callable[[team_replica.Pulled], object],
    on_link: Callable[[Link], object],
) -> None:
    """Follow the feed until `stop` is set, calling back with what arrived and the link's state."""
    import psycopg

    retry = RETRY_FIRST
    reported: Link | None = None
    while not stop.is_set():
        conn = None
        try:
            conn = desk.open()
            feed.listen(conn)
            first = team_replica.pull(conn, desk.store, offset=desk.offset)
            on_pulled(first)
            behind, again = first.behind, BEHIND_FIRST
            replayed = desk.replay()
            reported = Link(True, replayed=replayed)
            on_link(reported)
            retry = RETRY_FIRST
            renewed_at = desk.clock()
            while not stop.is_set():
                # Each commit notifies every table it changed (some maybe on the next wait), so the
                # tables named are the ones to read; the first read after a connection read them all.
                changed = feed.wait(conn, again if behind else WAKE_EVERY)
                if tables := changed | behind:
                    pulled = team_replica.pull(conn, desk.store, tuple(tables), desk.offset)
                    again = min(WAKE_EVERY, again * 2) if behind and pulled.behind else BEHIND_FIRST
                    behind = pulled.behind
                    if pulled.any:
                        on_pulled(pulled)
                desk.heartbeat()
                if desk.held and desk.clock() - renewed_at >= desk.lease / 3:
                    renewed_at = desk.clock()
                    if lost := desk.renew():
                        on_link(Link(True, lost_claims=tuple(lost)))
        except (TeamOffline, psycopg.Error) as exc:
            reason = str(exc) if isinstance(exc, TeamOffline) else feed_error(exc, desk.url)
            if reported is None or reported.online or reported.reason != reason:
                reported = Link(False, reason)
                on_link(reported)
            stop.wait(retry)
            retry = min(RETRY_MAX, retry * 2)
        finally:
            if conn is not None:
                conn.close()


def feed_error(exc: BaseException, url: str) -> str:
    """A lost feed connection as one line, without the password."""
    from socialdesk.team.connect import describe

    return describe(exc, url)
