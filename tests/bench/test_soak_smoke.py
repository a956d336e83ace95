"""A few seconds of the soak (`socialdesk bench --soak`): the shift runs and is judged; no time asserted."""

from __future__ import annotations

import math
import random
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


class _Row:
    def __init__(self, post_id: int) -> None:
        self.id = post_id


class _Window:
    def __init__(self, ids: list[int], start: int, total: int) -> None:
        self.ids, self.start, self.total = ids, start, total

    def row(self, index: int) -> _Row | None:
        at = index - self.start
        return _Row(self.ids[at]) if 0 <= at < len(self.ids) else None


class _Feed:
    """What the soak reads of the feed: its cursor, its window's rows, the post under the cursor."""

    def __init__(self, window: _Window, cursor: int) -> None:
        self.window, self.cursor = window, cursor

    @property
    def current(self) -> _Row | None:
        return self.window.row(self.cursor)


def test_a_key_is_timed_to_the_frame_on_the_post_it_moved_to_not_an_arrivals() -> None:
    feed = _Feed(_Window([50, 49, 48, 47], start=0, total=100), cursor=1)
    moved = soak._moves_to(feed, "j")
    assert moved is not None and not moved()
    # A post arrives above: the cursor keeps its post (49) a row down, where the key was going.
    feed.window, feed.cursor = _Window([51, 50, 49, 48, 47], start=0, total=101), 2
    assert not moved()
    feed.cursor = 3  # the key's own move: post 48
    assert moved()


def test_keys_that_move_nothing_are_not_timed() -> None:
    top = _Feed(_Window([3, 2, 1], start=0, total=3), cursor=0)
    assert soak._moves_to(top, "k") is None
    assert soak._moves_to(_Feed(top.window, cursor=2), "j") is None
    assert soak._moves_to(top, "e") is None and soak._moves_to(top, "g") is None


def test_beyond_the_rows_loaded_the_row_number_stands_for_the_post() -> None:
    feed = _Feed(_Window([9, 8], start=0, total=50), cursor=1)
    moved = soak._moves_to(feed, "j")
    assert moved is not None and not moved()
    feed.cursor = 2
    assert moved()


def test_the_drift_interval_holds_one_for_a_steady_run_and_not_for_a_slower_end() -> None:
    rng = random.Random(2)
    steady = [rng.lognormvariate(-5, 0.6) for _ in range(2_300)]
    low, high = soak.drift_interval(steady[:1_150], steady[1_150:])
    assert low < 1 < high and high - low > 0.05  # a tenth's p99 is a dozen keys: chance moves it
    low, high = soak.drift_interval(steady[:1_150], [x * 1.5 for x in steady[1_150:]])
    assert 1.2 < low < 1.5 < high
    assert soak.drift_interval(steady[:1_150], steady[1_150:]) == soak.drift_interval(
        steady[:1_150], steady[1_150:]
    )  # seeded: a run's figure reads the same when judged again
    assert all(math.isnan(x) for x in soak.drift_interval([], steady))
