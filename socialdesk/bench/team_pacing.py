"""The simulated team's pacing (agents' handling times, the arrivals' schedule) and its figures' arithmetic.

Handling time: social care agents spend minutes on a conversation (reading the thread, checking an
order, writing); call-center service times are close to lognormal (Brown et al., "Statistical
analysis of a telephone call center", JASA 2005). The bench draws lognormal times with a median of
`HANDLING_MEDIAN_S` and runs them `TIME_SCALE` times faster than real time, so a minute-long bench
sees as many claims per desk as two hours of real work would.
"""

from __future__ import annotations

import math
import random

HANDLING_MEDIAN_S = 240.0  # a real agent's median time on one conversation: 4 minutes
HANDLING_SIGMA = 0.6  # the lognormal's shape: about 1 in 10 takes over 2.2x the median
TIME_SCALE = 120.0  # simulated seconds per real second: a 4-minute conversation takes 2 s


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0.0 for none): the smallest value with `share` of them at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def handling_time(rng: random.Random) -> float:
    """Seconds (compressed) an agent spends on one conversation before the reply goes out."""
    return rng.lognormvariate(math.log(HANDLING_MEDIAN_S), HANDLING_SIGMA) / TIME_SCALE


def mean_handling_time() -> float:
    """The compressed handling time's mean (a desk's claims per second is about its inverse)."""
    return HANDLING_MEDIAN_S * math.exp(HANDLING_SIGMA**2 / 2) / TIME_SCALE


def arrival_due(start: float, page: int, rate: float, per_page: int) -> float:
    """When the `page`-th page of arriving posts is due: a fixed schedule, so lateness never accumulates."""
    return start + page * per_page / rate


def growth(at_20: float, at_200: float) -> str:
    """How a figure grew from the smaller desk count to the larger, as a factor ("x2.3"); "-" with no base."""
    return f"x{at_200 / at_20:.1f}" if at_20 > 0 else "-"
