"""Spike detection: no alarm on steady noise (1,000 seeds), an alarm soon after a real jump, the demo."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from socialdesk.config import Settings
from socialdesk.models import Author, Post
from socialdesk.services import spikes
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store
from tests.conftest import FIXED_NOW, demo_connector

STEP = 600.0  # the desk checks at most once a minute; a synthetic check every ten minutes


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; the rates here are small)."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def alarms(rng: random.Random, hourly: list[float]) -> list[int]:
    """Run the detector's rule over a series of ten-minute counts; the steps at which it alarms."""
    per_step = [poisson(rng, rate * STEP / 3600) for rate in hourly]
    window = int(spikes.WINDOW // STEP)
    baseline = int(spikes.BASELINE // STEP)
    fired = []
    for step in range(baseline + window, len(per_step)):
        observed = sum(per_step[step - window : step])
        past = sum(per_step[step - window - baseline : step - window])
        if spikes.is_spike(observed, past * spikes.WINDOW / spikes.BASELINE):
            fired.append(step)
    return fired


def test_poisson_tail() -> None:
    assert spikes.poisson_tail(0, 3.0) == 1.0
    assert spikes.poisson_tail(1, 3.0) == pytest.approx(1 - math.exp(-3))
    assert spikes.poisson_tail(3, 3.0) == pytest.approx(1 - math.exp(-3) * (1 + 3 + 4.5))
    assert 0 < spikes.poisson_tail(60, 2.0) < 1e-40  # the far tail keeps its digits


@pytest.mark.parametrize("rate", [0.5, 5.0, 40.0])
def test_no_alarm_on_steady_noise_across_a_thousand_seeds(rate: float) -> None:
    week_and_a_day = [rate] * int((spikes.BASELINE + 86400) // STEP)
    false_alarms = sum(len(alarms(random.Random(seed), week_and_a_day)) for seed in range(1000))
    assert false_alarms == 0


def test_alarm_soon_after_a_real_jump() -> None:
    steady = [5.0] * int(spikes.BASELINE // STEP + 6)
    jump_at = len(steady)
    series = steady + [40.0] * 12  # eight times the usual rate, for two hours
    late = []
    for seed in range(200):
        fired = [s for s in alarms(random.Random(seed), series) if s >= jump_at]
        assert fired, f"seed {seed}: no alarm"
        late.append((fired[0] - jump_at + 1) * STEP)
    late.sort()
    # Checked every ten minutes: half the jumps alarm within 40 minutes, 95% within 50, all within 90.
    assert late[len(late) // 2] <= 2400 and late[int(0.95 * len(late)) - 1] <= 3000 and late[-1] <= 5400


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
