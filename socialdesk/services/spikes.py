"""Getting out in front of it: spikes of similar posts, and of a network's volume, against their baseline.

A spike is a recent window (WINDOW seconds) holding far more posts than its own baseline predicts:
the Poisson chance of seeing that many by luck is below P_VALUE, there are at least MIN_POSTS, and at
least RATIO times the expected count. The baseline of a group of similar posts is its own rate over
the week before the window; a network's is the same hour of the week in the weeks before when the
cache holds them (seasonal), else its rate over the day before. Tested on synthetic series: no alarm on
steady noise, and an alarm soon after a real jump (tests/metrics/test_spikes.py; README, "Metrics").
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from socialdesk.services.patterns import similar_to
from socialdesk.store import similar_index as si

WINDOW = 1800.0
BASELINE = 7 * 86400.0
FLOOR_PER_HOUR = 0.5  # a group never seen before is still expected now and then
MIN_POSTS = 8
RATIO = 3.0
P_VALUE = 1e-7
WEEK = 7 * 86400.0


def poisson_tail(k: int, expected: float) -> float:
    """P(X >= k) for X ~ Poisson(expected), summed on the side where no digit is lost to rounding."""
    if k <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    if k > expected:  # the tail's terms only shrink: add them up from k
        term = math.exp(-expected + k * math.log(expected) - math.lgamma(k + 1))
        total, i = 0.0, k
        while term > 0 and term > total * 1e-16:
            total += term
            i += 1
            term *= expected / i
        return min(1.0, total)
    term = below = math.exp(-expected)
    for i in range(1, k):
        term *= expected / i
        below += term
    return max(0.0, 1.0 - below)


def is_spike(observed: int, expected: float) -> bool:
    """Whether `observed` posts in the window are a spike over `expected` ones."""
    expected = max(expected, FLOOR_PER_HOUR * WINDOW / 3600)
    return (
        observed >= MIN_POSTS and observed >= RATIO * expected and poisson_tail(observed, expected) < P_VALUE
    )


@dataclass(frozen=True, slots=True)
class Spike:
    """A group of posts far above its baseline in the last WINDOW."""

    kind: str  # "similar" or "network"
    name: str  # a representative post's text, or the network
    posts: int
    expected: float
    customers: int
    post_ids: tuple[int, ...]  # the posts of the spike, newest first (for a queue)

    def headline(self) -> str:
        """One line for the banner."""
        what = f"posts like “{self.name[:70]}”" if self.kind == "similar" else f"posts on {self.name}"
        minutes = int(WINDOW // 60)
        return (
            f"Spike: {self.posts} {what} in the last {minutes} min from {self.customers} customers "
            f"(usually {self.expected:.1f})"
        )


def detect(conn: sqlite3.Connection, now: float, limit: int = 3) -> list[Spike]:
    """The spikes at `now`, largest first: groups of similar posts, then networks."""
    spikes = _similar_spikes(conn, now)
    spikes += _network_spikes(conn, now)
    spikes.sort(key=lambda s: s.posts / max(s.expected, 0.1), reverse=True)
    return spikes[:limit]


def _similar_spikes(conn: sqlite3.Connection, now: float) -> list[Spike]:
    since = now - WINDOW
    found: list[Spike] = []
    covered: set[int] = set()
    for bucket, observed in si.busiest_bands(conn, since, limit=30):
        if observed < MIN_POSTS:
            break
        past = si.band_counts(conn, bucket, since - BASELINE, since)
        if not is_spike(observed, past * WINDOW / BASELINE):
            continue
        newest = si.band_posts(conn, bucket, since)
        if covered.intersection(newest):
            continue  # another band of a group already reported
        pattern = similar_to(conn, newest[0], now)
        members = [i for i in (pattern.post_ids if pattern else newest) if i in set(newest)] or newest
        covered.update(pattern.post_ids if pattern else newest)
        voices = si.voices(conn, members, since)
        text = conn.execute("SELECT text FROM posts WHERE id = ?", (newest[0],)).fetchone()
        found.append(
            Spike("similar", text[0] if text else "", voices.posts, past * WINDOW / BASELINE,
                  voices.customers, tuple(members))
        )  # fmt: skip
    return found


def _count(conn: sqlite3.Connection, network: str, since: float, until: float) -> int:
    row = conn.execute(
        "SELECT count(*) FROM posts INDEXED BY posts_feed WHERE created_at >= ? AND created_at < ? "
        "AND network = ? AND is_ours = 0",
        (since, until, network),
    ).fetchone()
    return int(row[0])


def _network_spikes(conn: sqlite3.Connection, now: float) -> list[Spike]:
    since = now - WINDOW
    rows = conn.execute(
        "SELECT network, count(*), count(DISTINCT customer_id) FROM posts INDEXED BY posts_feed "
        "WHERE created_at >= ? AND is_ours = 0 GROUP BY network",
        (since,),
    ).fetchall()
    found: list[Spike] = []
    for network, observed, customers in rows:
        weeks = [_count(conn, network, since - w * WEEK, now - w * WEEK) for w in (1, 2, 3, 4)]
        oldest = conn.execute(
            "SELECT min(created_at) FROM posts INDEXED BY posts_feed WHERE created_at >= ?", (now - 5 * WEEK,)
        ).fetchone()[0]
        if oldest is not None and oldest <= now - 4 * WEEK:
            expected = sum(weeks) / 4  # the same half hour of the week, four weeks running
        else:
            expected = _count(conn, network, since - 86400, since) * WINDOW / 86400
        if is_spike(observed, expected):
            ids = tuple(
                r[0]
                for r in conn.execute(
                    "SELECT id FROM posts INDEXED BY posts_feed WHERE created_at >= ? AND network = ? "
                    "AND is_ours = 0 ORDER BY created_at DESC LIMIT 500",
                    (since, network),
                )
            )
            found.append(Spike("network", network, observed, expected, customers, ids))
    return found
