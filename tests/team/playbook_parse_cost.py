"""Measures a team desk's canned replies at `ctrl+t`: `python -m tests.team.playbook_parse_cost [N]`.

A cache holding one team set of N canned replies (two fields and a prompt each): parsing and checking
it (`team_macros`, done once per version) and the version check done at every later use
(`team_version`). 21 runs each; the median and the worst.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from socialdesk.services.team_playbook import team_macros, team_version
from socialdesk.store import Store
from socialdesk.store.team_playbooks import put_playbooks


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(21):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, max(times) * 1000


def main(n: int) -> None:
    store = Store(Path(tempfile.mkdtemp()) / "cache.db")
    text = "Hi {customer.name}, we looked at order {prompt:Order number} for you. "
    macros = [{"name": f"reply {i}", "description": f"hint {i}", "text": text * 3} for i in range(n)]
    row = {"version": 1, "macros": macros, "dm_template": {}, "source": "team.toml"}
    with store.transaction() as conn:
        put_playbooks(conn, [row | {"pushed_by": "sue", "pushed_at": 0.0}])
    parse, parse_worst = _timed(lambda: team_macros(store))
    check, check_worst = _timed(lambda: team_version(store))
    print(f"{n} canned replies: parsed in {parse:.2f} ms (worst {parse_worst:.2f} ms);")
    print(f"the version check at each later use: {check:.3f} ms (worst {check_worst:.3f} ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
