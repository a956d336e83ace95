"""The composer counter is measured in a process of its own, not in the suite's after every other group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from socialdesk.bench import suite


@pytest.mark.timeout(120)
def test_the_counter_is_timed_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the full run's process, after the other groups, its p99 was 107 us where alone it was 30-34."""
    probes: list[str] = []
    probe = suite._probe

    def recorded(mode: str, which: str, db: Path, extra: list[str], env: dict[str, str], **kw: Any) -> Any:
        probes.append(mode)
        return probe(mode, which, db, extra, env, **kw)

    monkeypatch.setattr(suite, "_probe", recorded)
    figure = suite._composer()
    assert probes == ["composer"]
    assert figure.detail["pid"] != os.getpid()
    assert figure.detail["calls"] == 5 * 280 and figure.value > 0
