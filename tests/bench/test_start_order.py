"""The cold starts are taken in turns, each side first every other round, as the terminal figure's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from socialdesk.bench import suite


def test_desk_and_baseline_starts_alternate_which_goes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []

    def probe(mode: str, which: str, db: Path, extra: list[str], env: dict[str, str]) -> dict[str, Any]:
        if mode == "start":
            started.append(which)
            return {"elapsed": 0.2 if which == "minimal" else 0.3}
        return {"rss_kib": 1024, "cursor": 0, "presses": 0}

    monkeypatch.setattr(suite, "_probe", probe)
    figures = suite._startup(Path("cache.db"), suite.Options(starts=4), {}, lambda _: None)
    assert started[2:] == ["minimal", "app", "app", "minimal", "minimal", "app", "app", "minimal"]
    assert figures[0].detail == {"desk_runs": [0.3] * 4, "minimal_runs": [0.2] * 4}
