"""Team bench pacing: agents' handling times, the arrivals' schedule, percentiles, growth."""

from __future__ import annotations

import math
import random

import pytest

from socialdesk.bench import team_pacing as pacing


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 .. 100
    assert pacing.percentile(values, 0.50) == 50.0
    assert pacing.percentile(values, 0.99) == 99.0  # not the maximum: one value in a hundred is above
    assert pacing.percentile(values, 1.0) == 100.0
    assert pacing.percentile([7.0], 0.99) == 7.0
    assert pacing.percentile([], 0.5) == 0.0
    assert pacing.percentile([3.0, 1.0, 2.0], 0.5) == 2.0  # unsorted input


def test_handling_times_are_lognormal_minutes_compressed_to_seconds() -> None:
    rng = random.Random(15)
    times = [pacing.handling_time(rng) for _ in range(20_000)]
    median = sorted(times)[len(times) // 2]
    expected = pacing.HANDLING_MEDIAN_S / pacing.TIME_SCALE
    assert median == pytest.approx(expected, rel=0.05)
    assert min(times) > 0
    # lognormal: the mean sits above the median by exp(sigma^2 / 2)
    mean = sum(times) / len(times)
    assert mean / median == pytest.approx(math.exp(pacing.HANDLING_SIGMA**2 / 2), rel=0.05)


def test_handling_times_repeat_for_one_seed() -> None:
    first = [pacing.handling_time(random.Random(3)) for _ in range(3)]
    assert first == [pacing.handling_time(random.Random(3)) for _ in range(3)]


def test_arrivals_follow_a_fixed_schedule_that_does_not_drift() -> None:
    # the n-th page is due at start + n * posts_per_page / rate, however late the earlier ones were
    assert pacing.arrival_due(100.0, 0, rate=50.0, per_page=1) == 100.0
    assert pacing.arrival_due(100.0, 50, rate=50.0, per_page=1) == pytest.approx(101.0)
    assert pacing.arrival_due(100.0, 5, rate=50.0, per_page=10) == pytest.approx(101.0)


def test_growth_from_20_to_200_desks_reads_as_a_factor() -> None:
    assert pacing.growth(4.0, 8.0) == "x2.0"
    assert pacing.growth(100.0, 50.0) == "x0.5"
    assert pacing.growth(0.0, 3.0) == "-"
