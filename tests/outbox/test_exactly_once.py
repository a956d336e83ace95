"""The exactly-once suite as tests: every network's fake under every fault (see exactly_once.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.outbox.exactly_once import FAULTS, REPLIES, run
from tests.outbox.networks import NETWORKS


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("network", list(NETWORKS))
def test_every_reply_arrives_exactly_once_and_never_more_public(
    tmp_path: Path, network: str, fault: str
) -> None:
    counts = run(NETWORKS[network], fault, tmp_path)
    assert (counts.replies, counts.copies, counts.lost, counts.widened) == (REPLIES, REPLIES, 0, 0), counts
    assert counts.asked == 0, counts  # the server could always be asked: nothing left to the agent
