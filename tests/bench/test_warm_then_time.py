"""The sampled figures (thread, similar posts) are timed on a second pass over every sample."""

from __future__ import annotations

from socialdesk.bench.measure import warm_then_time


def test_every_sample_is_read_once_before_the_timed_pass() -> None:
    calls: list[str] = []
    cold, warm = warm_then_time(calls.append, ["a", "b", "c"])
    assert calls == ["a", "b", "c", "a", "b", "c"]
    assert len(cold) == len(warm) == 3
    assert all(t >= 0 for t in cold + warm)
