"""Lone voice or pattern: the posts similar to one post in the last hour and day, and who wrote them.

Contact-center practice: don't change course for one loud customer, but don't miss fifty saying the
same thing. The verdict says which: one voice (one customer, however many posts and networks), a few
voices, or a pattern (PATTERN_CUSTOMERS or more customers).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import msgspec

from socialdesk.store import similar_index as si

HOUR, DAY = 3600.0, 86400.0
PATTERN_CUSTOMERS = 5


class Pattern(msgspec.Struct, frozen=True):
    """Posts like one post (itself included) in the last hour and day."""

    post_id: int
    hour: si.Voices
    day: si.Voices
    post_ids: tuple[int, ...]  # the day's similar posts, for opening them as a queue

    @property
    def verdict(self) -> str:
        """alone, one voice, a few voices or a pattern."""
        day = self.day
        if day.posts <= 1:
            return "alone"
        if day.customers <= 1:
            return "one voice"
        return "a pattern" if day.customers >= PATTERN_CUSTOMERS else "a few voices"

    def summary(self, network_name: Callable[[str], str] = str) -> str:
        """One line for the thread pane (counts include the post itself); `network_name` gives a
        network's name as people know it (the desk passes its connector's display name)."""
        day, hour = self.day, self.hour
        if day.posts <= 1:
            return "No similar posts in the last day"
        networks = ", ".join(network_name(n) for n in day.networks)
        if self.verdict == "one voice":
            where = f"across {networks}" if len(day.networks) > 1 else f"on {networks}"
            return f"One voice: {day.posts} posts like this today, all from this customer, {where}"
        return (
            f"{self.verdict.capitalize()}: {day.posts} posts like this today ({hour.posts} in the last "
            f"hour) from {day.customers} customers on {networks}"
        )


def similar_to(conn: sqlite3.Connection, post_id: int, now: float) -> Pattern | None:
    """The similar-posts picture for a post (None when the post is not indexed: old, ours, too short)."""
    day_ids = si.similar_posts(conn, post_id, now - DAY)
    if not day_ids:
        return None
    day = si.voices(conn, day_ids, now - DAY)
    hour = si.voices(conn, day_ids, now - HOUR)
    return Pattern(post_id, hour, day, tuple(day_ids))
