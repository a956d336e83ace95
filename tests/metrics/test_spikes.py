"""Spike detection: no alarm on steady noise (1,000 seeds), an alarm soon after a real jump, the demo."""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from socialdesk.config import Settings
from socialdesk.models import Author, Post
from socialdesk.services import spikes
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store, Triage
from tests.conftest import FIXED_NOW, demo_connector

STEP = 600.0  # the desk checks at most once a minute; a synthetic check every ten minutes
HOUR = 3600.0
# Where the checks start: after the history each kind's baseline reads (the similar-posts index holds
# a week; the others reach back four weeks and the hour around, so theirs is the seasonal baseline).
HISTORY = {
    kind: spikes.BASELINE + spikes.WINDOW + (spikes.SEASON_WEEKS * spikes.WEEK + HOUR if seasonal else 0)
    for kind, seasonal in spikes.SEASONAL.items()
}


def arrivals(rng: np.random.Generator, rate: Callable[[np.ndarray], np.ndarray], end: float) -> np.ndarray:
    """Poisson arrivals over [0, end) at `rate(t)` posts an hour (thinning a process at the top rate)."""
    grid = np.arange(0, end, 60.0)
    top = float(rate(grid).max())
    times = np.sort(rng.uniform(0, end, rng.poisson(top * end / HOUR)))
    return times[rng.uniform(0, top, len(times)) < rate(times)]


def alarms(
    times: np.ndarray, start: float, end: float, kind: str, seasonal: bool | None = None
) -> list[float]:
    """Run `kind`'s detector rule every STEP over [start, end): when it alarms for the series."""

    at = times.tolist()

    def count(since: float, until: float) -> dict[str, int]:
        return {"g": bisect.bisect_left(at, until) - bisect.bisect_left(at, since)}

    by_season = spikes.SEASONAL[kind] if seasonal is None else seasonal
    fired = []
    for now in np.arange(start, end, STEP):
        expected = spikes.baselines(count, ["g"], float(now), by_season)["g"]
        if spikes.is_spike(count(now - spikes.WINDOW, now)["g"], expected):
            fired.append(float(now))
    return fired


def test_poisson_tail() -> None:
    assert spikes.poisson_tail(0, 3.0) == 1.0
    assert spikes.poisson_tail(1, 3.0) == pytest.approx(1 - math.exp(-3))
    assert spikes.poisson_tail(3, 3.0) == pytest.approx(1 - math.exp(-3) * (1 + 3 + 4.5))
    assert 0 < spikes.poisson_tail(60, 2.0) < 1e-40  # the far tail keeps its digits


# Keywords, tags and networks share the seasonal baseline (`baselines`, the same code for each): one
# run covers the three; the SQLite test below checks each kind's own counting.
BASELINE_KINDS = ["similar", "keyword"]


@pytest.mark.parametrize("kind", BASELINE_KINDS)
def test_no_alarm_on_steady_noise_across_a_thousand_seeds(kind: str) -> None:
    start = HISTORY[kind]
    false_alarms = 0
    for seed in range(1000):
        level = (0.5, 5.0, 40.0)[seed % 3]  # posts an hour: a quiet keyword to a busy network
        times = arrivals(np.random.default_rng(seed), lambda t, r=level: np.full_like(t, r), start + 86400)
        false_alarms += len(alarms(times, start, start + 86400, kind))  # a day checked every ten minutes
    assert false_alarms == 0


@pytest.mark.parametrize("kind", BASELINE_KINDS)
def test_alarm_soon_after_a_real_jump(kind: str) -> None:
    jump = HISTORY[kind] + 3600
    late = []
    for seed in range(200):
        times = arrivals(np.random.default_rng(seed), lambda t: np.where(t < jump, 5.0, 40.0), jump + 7200)
        fired = [at for at in alarms(times, jump - 3600, jump + 7200, kind) if at >= jump]
        assert fired, f"seed {seed}: no alarm"
        assert not [at for at in alarms(times, jump - 3600, jump, kind)], (
            f"seed {seed}: alarm before the jump"
        )
        late.append(fired[0] - jump + STEP)
    late.sort()
    # Five posts an hour become forty, checked every ten minutes: half alarm within 40 minutes, 95%
    # within 60, all within 90.
    assert late[len(late) // 2] <= 2400 and late[int(0.95 * len(late)) - 1] <= 3600 and late[-1] <= 5400


def test_the_same_busy_hour_every_day_is_no_spike_once_the_history_shows_it() -> None:
    kind = "network"

    def rush(t: np.ndarray) -> np.ndarray:  # 09:00-10:00 every day: eight times the rest
        return np.where((t % 86400 >= 9 * HOUR) & (t % 86400 < 10 * HOUR), 40.0, 5.0)

    start = HISTORY[kind] - HISTORY[kind] % 86400 + 8 * HOUR
    seasonal = weekly = 0
    for seed in range(200):
        times = arrivals(np.random.default_rng(seed), rush, start + 4 * HOUR)
        seasonal += len(alarms(times, start, start + 4 * HOUR, kind))
        weekly += bool(alarms(times, start, start + 4 * HOUR, kind, seasonal=False))
    assert seasonal == 0
    assert weekly >= 150  # the week's average alone would alarm at the rush on most days


def test_the_demo_outage_raises_a_spike_and_steady_chatter_does_not(tmp_path: Path) -> None:
    now = FIXED_NOW + 60
    demo = Store(tmp_path / "demo.db", clock=lambda: now)
    sync_source(demo, Source("demo", demo_connector(3000)), Triager.from_settings(Settings()).triage_many)
    found = spikes.detect(demo.conn, now)
    assert found and found[0].posts >= spikes.MIN_POSTS
    texts = [
        demo.conn.execute("SELECT text FROM posts WHERE id = ?", (s.post_ids[0],)).fetchone()[0]
        for s in found
    ]
    assert any(("503" in t or "down" in t or "errors" in t) for t in texts if t), texts

    steady = Store(tmp_path / "steady.db", clock=lambda: now)
    rng = random.Random(4)
    templates = [
        "@acme where is my order {n}, it is late",
        "@acme love the new app design {n}",
        "@acme is the shop open on sunday {n}",
    ]
    posts = [
        Post(
            "x",
            f"p{i}",
            Author(f"u{rng.randrange(300)}", "u"),
            rng.choice(templates).format(n=i),
            now - i * 120.0,
        )
        for i in range(7 * 24 * 30)
    ]
    steady.upsert_posts(posts)
    assert spikes.detect(steady.conn, now) == []


def _words(rng: random.Random, count: int) -> str:
    return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(count))


JUMPS = {  # each kind's sudden posts, and the name its spike must carry
    "similar": ("x", "the checkout page shows a blank screen after I pay with my card {w}", (), "checkout"),
    "keyword": ("x", "{w} refund {w2}", (), "refund"),
    "tag": ("x", "{w} {w2}", ("billing",), "billing"),
    "network": ("mastodon", "{w} {w2}", (), "mastodon"),
}


@pytest.mark.parametrize("kind", spikes.KINDS)
def test_each_kind_alarms_in_the_cache_after_a_jump_and_not_before(kind: str, tmp_path: Path) -> None:
    """Five weeks of steady chatter (6 posts an hour, a tenth tagged billing, a sixth on Mastodon),
    then forty posts an hour of one kind: the cache's own counts, seasonal baseline included."""
    rng = random.Random(7)
    jump = FIXED_NOW - 3600
    network, template, tags, name = JUMPS[kind]
    posts, triage = [], []
    at = jump - 5 * spikes.WEEK
    while at < jump + 3600:
        sudden = at >= jump
        at += rng.expovariate((40.0 if sudden else 6.0) / 3600)
        author = Author(f"u{rng.randrange(10**6)}", "u")
        if sudden:
            text = template.format(w=_words(rng, 1), w2=_words(rng, 6))
            post_network, post_tags = network, tags
        else:
            text, post_network = _words(rng, 8), "mastodon" if rng.random() < 1 / 6 else "x"
            post_tags = ("billing",) if rng.random() < 0.1 else ()
        posts.append(Post(post_network, f"p{len(posts)}", author, text, at))
        triage.append(Triage(tags=post_tags))
    store = Store(tmp_path / "cache.db", clock=lambda: jump + 3600)
    store.upsert_posts(posts, triage)

    assert spikes.detect(store.conn, jump - 60) == []
    found = spikes.detect(store.conn, jump + 40 * 60)  # within 40 minutes of the jump
    assert found and {s.kind for s in found} == {kind}, [s.headline() for s in found]
    assert name in found[0].name and found[0].posts >= spikes.MIN_POSTS
    assert found[0].customers == found[0].posts == len(found[0].post_ids)
