"""A few seconds of the soak (`socialdesk bench --soak`): the shift runs and is judged; no time asserted."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from socialdesk.bench import soak, suite


@pytest.mark.timeout(180)
def test_a_short_soak_samples_memory_and_times_keys(tmp_path: Path) -> None:
    options = suite.Options.make(
        2_000,
        tmp_path / "cache",
        tmp_path / "out.json",
        quick=True,
        only=frozenset({"soak"}),
        soak_minutes=0.15,
    )
    results = suite.run(options, say=lambda _line: None)
    growth, p99 = results["figures"]
    assert growth["name"].startswith("soak, 0.15 min: RSS growth") and growth["unit"] == "%"
    assert p99["name"].startswith("soak, 0.15 min: key p99") and p99["ratio"] is not None
    detail = growth["detail"]
    assert detail["presses"] >= 20 and detail["keys_timed"] >= 10
    assert len(detail["rss"]) >= 5 and all(kib > 0 for _, kib in detail["rss"])
    assert math.isfinite(growth["value"]) and math.isfinite(p99["ratio"])


def test_the_soak_is_judged_after_its_warm_up() -> None:
    # Memory grows during the first tenth (not counted), then 2%; keys get slower at the end.
    result = {
        "minutes": 1.0,
        "rss": [(t, 100_000 if t < 6 else 102_000 if t < 57 else 104_040) for t in range(61)],
        "keys": [(t / 10, 0.010 if t < 540 else 0.013) for t in range(600)],
    }
    verdict = soak.judge(result)
    assert verdict["rss_growth"] == pytest.approx(0.02, abs=1e-3)
    assert verdict["p99_drift"] == pytest.approx(1.3)
    # Each tenth's p99: the slower keys are the last tenth's alone.
    assert verdict["p99_by_tenth_ms"] == [pytest.approx(10.0)] * 9 + [pytest.approx(13.0)]


def test_without_a_length_the_soak_never_runs() -> None:
    assert not suite.Options.make(1_000, None, None, quick=True).wants("soak")
    assert not suite.Options.make(1_000, None, None, quick=True, only=frozenset({"soak"})).wants("soak")
    assert suite.Options.make(1_000, None, None, quick=True, soak_minutes=1).wants("soak")
    with pytest.raises(ValueError, match="unknown figure group"):
        suite.Options.make(1_000, None, None, quick=True, only=frozenset({"sook"}))


def test_a_tenth_with_no_key_timed_falls_back_to_the_first_and_last_keys_timed() -> None:
    # A loaded machine timed no key in the first or last tenth of a short run: still a figure.
    result = {
        "minutes": 0.15,
        "rss": [(t, 100_000) for t in range(10)],
        "keys": [(1.5 + t / 2, 0.010 if t < 5 else 0.012) for t in range(12)],
    }
    verdict = soak.judge(result)
    assert math.isfinite(verdict["p99_drift"])
    assert verdict["p99_first_tenth_ms"] == 10.0 and verdict["p99_last_tenth_ms"] == 12.0
    assert verdict["p99_by_tenth_ms"][0] is None and verdict["p99_by_tenth_ms"][-1] is None


def test_the_soaks_own_samples_keep_no_python_object_per_key() -> None:
    """The soak runs in the process it measures: its log of keys must not be the desk's growth."""
    import gc

    keys = soak.Samples(2)
    keys.add(0.0, 0.010)
    tracked = len(gc.get_objects())
    for n in range(5_000):
        keys.add(n / 10, 0.010)
    assert len(gc.get_objects()) - tracked < 100  # a list of tuples: one more tracked tuple per key
    assert len(keys) == 5_001 and keys.rows()[1] == (0.0, 0.010)
