"""Counts what the hostile-input tests tried and found, for the issue's closing note.

Every test in tests/hostile records into `TALLY`; the conftest prints the totals at the end of the
run (and `python -m pytest tests/hostile -q` shows them in the terminal summary).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    """Cases tried and the three failures the issue counts (each must stay 0)."""

    cases: int = 0
    tracebacks: int = 0
    lost: int = 0  # valid items beside a bad one that were not stored
    attacker_bytes: int = 0  # terminal-steering characters that reached a terminal

    def case(self, n: int = 1) -> None:
        self.cases += n


TALLY = Tally()
