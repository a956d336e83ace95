"""Getting out in front of it: spikes of similar posts, of a keyword, a tag or a network's volume.

A spike is a recent window (WINDOW seconds) holding far more posts than its own baseline predicts:
the Poisson chance of seeing that many by luck is below P_VALUE, there are at least MIN_POSTS, and at
least RATIO times the expected count. Every kind has the same baseline (`baselines`): its rate over
the week before the window, or, where the history reaches back SEASON_WEEKS weeks, the same hours of
the week in those weeks when they are surely busier (a Monday-morning rush is no spike). Groups of similar
posts have a week of history at most (the similar-posts index), so theirs is the week's rate.
Tested on synthetic series: no alarm on steady noise, an alarm soon after a real jump, for every kind
(tests/metrics/test_spikes.py; README, "Metrics").
"""

from __future__ import annotations

import heapq
import math
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

import msgspec

from socialdesk.similarity import words
from socialdesk.store import similar_index as si
from socialdesk.store import spike_queries as sq

WINDOW = 1800.0
BASELINE = 7 * 86400.0
WEEK = 7 * 86400.0
SEASON_WEEKS = 4
SEASON_PAD = 1800.0  # the same half hour of the week, widened to the two hours around it
BUSIER = 1e-3  # how surely the same hours in past weeks must be busier than the week to be the baseline
FLOOR_PER_HOUR = 0.5  # a group never seen before is still expected now and then
MIN_POSTS = 8
RATIO = 3.0
P_VALUE = 1e-7
KEYWORDS = 10  # the window's most used words checked against their baseline
MIN_KEYWORD = 3  # letters: shorter words ("ok", "hi") say nothing about what is happening
COMMON = 0.3  # a word in this share of the week's posts (the brand's name) is the volume, not a topic
OVERLAP = 0.8  # a spike mostly made of an earlier-reported spike's posts is not reported again
KINDS = ("similar", "keyword", "tag", "network")
SEASONAL = {"similar": False, "keyword": True, "tag": True, "network": True}  # the index holds a week

Name = TypeVar("Name", bound=Hashable)


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


def seasonal(history_from: float | None, now: float) -> bool:
    """Whether the history (the oldest post since SEASON_WEEKS weeks and an hour ago) reaches back far
    enough for the same hour of the week in each of those weeks."""
    return history_from is not None and history_from <= now - WINDOW - SEASON_WEEKS * WEEK - SEASON_PAD


def baselines(
    count: Callable[[float, float], Mapping[Name, int]], names: Iterable[Name], now: float, by_season: bool
) -> dict[Name, float]:
    """The posts each group is expected to have in the window ending at `now`.

    Args:
        count: posts per group in [since, until).
        names: the groups to estimate.
        now: the window's end.
        by_season: the history reaches back SEASON_WEEKS weeks (`seasonal`).
    """
    since = now - WINDOW
    week = count(since - BASELINE, since)
    expected = {name: week.get(name, 0) * WINDOW / BASELINE for name in names}
    if by_season:
        hours = [
            count(since - w * WEEK - SEASON_PAD, now - w * WEEK + SEASON_PAD)
            for w in range(1, SEASON_WEEKS + 1)
        ]
        span = SEASON_WEEKS * (WINDOW + 2 * SEASON_PAD)
        for name, usual in expected.items():
            # A few hours of history are a noisy estimate: taken only when they are surely busier than
            # the week's rate says (so steady noise keeps the week's steadier figure).
            in_season = sum(h.get(name, 0) for h in hours)
            week_says = max(usual, FLOOR_PER_HOUR * WINDOW / 3600) * span / WINDOW
            if in_season > week_says and poisson_tail(in_season, week_says) < BUSIER:
                expected[name] = in_season * WINDOW / span
    return expected


class Spike(msgspec.Struct, frozen=True):
    """A group of posts far above its baseline in the last WINDOW."""

    kind: str  # one of KINDS
    name: str  # a representative post's text, the keyword, the tag or the network
    posts: int
    expected: float
    customers: int
    post_ids: tuple[int, ...]  # the posts of the spike, newest first (for a queue)

    def headline(self) -> str:
        """One line for the banner."""
        what = {
            "similar": f"posts like “{self.name[:70]}”",
            "keyword": f"posts saying “{self.name}”",
            "tag": f"posts tagged {self.name}",
        }.get(self.kind, f"posts on {self.name}")
        minutes = int(WINDOW // 60)
        return (
            f"Spike: {self.posts} {what} in the last {minutes} min from {self.customers} customers "
            f"(usually {self.expected:.1f})"
        )


def detect(
    conn: sqlite3.Connection, now: float, limit: int = 3, recent: RecentWords | None = None
) -> list[Spike]:
    """The spikes at `now`, strongest first; one mostly made of the posts of a spike found before it
    (similar posts first, then keywords, tags, networks) is left out.

    `recent`, kept from one check to the next, splits only the posts new since the last into words.
    """
    by_season = seasonal(sq.oldest_since(conn, now - WINDOW - SEASON_WEEKS * WEEK - 2 * SEASON_PAD), now)
    found: list[Spike] = []
    for spike in [
        *_similar_spikes(conn, now),
        *_keyword_spikes(conn, now, by_season and SEASONAL["keyword"], recent or RecentWords()),
        *_grouped_spikes(conn, "tag", sq.per_tag, now, by_season and SEASONAL["tag"]),
        *_grouped_spikes(conn, "network", sq.per_network, now, by_season and SEASONAL["network"]),
    ]:
        mine = set(spike.post_ids)
        if not any(len(mine & set(kept.post_ids)) >= OVERLAP * len(mine) for kept in found):
            found.append(spike)
    found.sort(key=lambda s: s.posts / max(s.expected, 0.1), reverse=True)
    return found[:limit]


def _similar_spikes(conn: sqlite3.Connection, now: float) -> list[Spike]:
    from socialdesk.services.patterns import similar_to

    since = now - WINDOW
    busy = [
        (bucket, observed)
        for bucket, observed in si.busiest_bands(conn, since, now, limit=30)
        if observed >= MIN_POSTS
    ]
    expected = baselines(
        lambda a, b: {bucket: si.band_counts(conn, bucket, a, b) for bucket, _ in busy},
        (bucket for bucket, _ in busy), now, by_season=SEASONAL["similar"],
    )  # fmt: skip
    found: list[Spike] = []
    covered: set[int] = set()
    for bucket, observed in busy:
        if not is_spike(observed, expected[bucket]):
            continue
        newest = si.band_posts(conn, bucket, since, now)
        if covered.intersection(newest):
            continue  # another band of a group already reported
        pattern = similar_to(conn, newest[0], now)
        in_band = set(newest)
        members = [i for i in (pattern.post_ids if pattern else newest) if i in in_band] or newest
        covered.update(pattern.post_ids if pattern else newest)
        voices = si.voices(conn, members, since)
        text = conn.execute("SELECT text FROM posts WHERE id = ?", (newest[0],)).fetchone()
        found.append(
            Spike("similar", text[0] if text else "", voices.posts, expected[bucket], voices.customers,
                  tuple(members))
        )  # fmt: skip
    return found


class RecentWords:
    """In how many of the window's customer posts each word appears, kept between spike checks.

    Splitting every post of the window into words took most of a check's Python time, and the window
    of a busy brand holds thousands of posts; a check now splits only the posts that entered the
    window since the one before, and takes back the words of those that left it (aged out, deleted,
    found to be ours). A post edited inside the window keeps the words it entered with: the words
    only choose which keywords are counted, and the counts come from the search index.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # an exclusive worker's predecessor may still be running
        self._words: dict[int, tuple[str, ...]] = {}  # post id -> its distinct words, interned
        self._used: Counter[str] = Counter()

    def used(self, conn: sqlite3.Connection, since: float, until: float) -> Counter[str]:
        """Posts of [since, until) per word (of MIN_KEYWORD letters or more, each post counted once)."""
        with self._lock:
            now_in = set(sq.ids_between(conn, since, until))
            for post_id in self._words.keys() - now_in:
                for word in self._words.pop(post_id):
                    self._used[word] -= 1
                    if not self._used[word]:
                        del self._used[word]  # the tally holds the window's words, not every word seen
            entered = [post_id for post_id in now_in if post_id not in self._words]
            for post_id, text in sq.texts_of(conn, entered):
                found = tuple({sys.intern(w) for w in words(text) if len(w) >= MIN_KEYWORD})
                self._words[post_id] = found
                self._used.update(found)
            return self._used.copy()


def keyword_candidates(used: Mapping[str, int]) -> list[str]:
    """The KEYWORDS words most posts use (at least MIN_POSTS each); ties go by the word, so a check
    chooses the same words whatever order the posts were read in."""
    top = heapq.nsmallest(KEYWORDS, used.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, posts in top if posts >= MIN_POSTS]


def _keyword_spikes(
    conn: sqlite3.Connection, now: float, by_season: bool, recent: RecentWords
) -> list[Spike]:
    since = now - WINDOW
    candidates = keyword_candidates(recent.used(conn, since, now))
    if not candidates:
        return []
    observed = sq.per_keyword(conn, candidates, since, now)  # as the baseline counts them: by the index
    week = sq.per_keyword(conn, candidates, since - BASELINE, since)
    everyday = COMMON * sum(sq.per_network(conn, since - BASELINE, since).values())
    candidates = [word for word in candidates if week.get(word, 0) <= everyday]  # the brand's name ...
    known = {(since - BASELINE, since): week}
    expected = baselines(
        lambda a, b: known.get((a, b)) or sq.per_keyword(conn, candidates, a, b), candidates, now, by_season
    )
    return _spikes(conn, "keyword", {w: observed[w] for w in candidates}, expected, now)


def _grouped_spikes(
    conn: sqlite3.Connection,
    kind: str,
    count: Callable[[sqlite3.Connection, float, float], dict[str, int]],
    now: float,
    by_season: bool,
) -> list[Spike]:
    since = now - WINDOW
    # Routing tags (queue:, suggest:, assign:) repeat a topic tag's posts under another name.
    observed = {name: n for name, n in count(conn, since, now).items() if n >= MIN_POSTS and ":" not in name}
    if not observed:
        return []
    expected = baselines(lambda a, b: count(conn, a, b), observed, now, by_season)
    return _spikes(conn, kind, observed, expected, now)


def _spikes(
    conn: sqlite3.Connection,
    kind: str,
    observed: Mapping[str, int],
    expected: Mapping[str, float],
    now: float,
) -> list[Spike]:
    found = []
    for name, posts in observed.items():
        if is_spike(posts, expected[name]):
            ids, customers = sq.posts_of(conn, kind, name, now - WINDOW, now)
            found.append(Spike(kind, name, posts, expected[name], customers, tuple(ids)))
    return found
