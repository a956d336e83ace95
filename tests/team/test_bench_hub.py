"""`socialdesk bench --team`'s hub failover on a real PostgreSQL: real hub processes, a real kill, counted."""

from __future__ import annotations

import pytest

from socialdesk.bench import hub_failover

pytestmark = pytest.mark.postgres


def test_a_killed_leader_is_followed_by_the_standby_and_no_post_is_lost(pg_url: str) -> None:
    lines: list[str] = []
    result = hub_failover.failover(pg_url, kills=2, say=lines.append)
    assert (result["lost"], result["duplicated"]) == (0, 0)
    assert result["written"] > 0 and len(result["takeover_ms"]) == 2
    assert hub_failover.report(result, lines.append)
    assert "next leader after" in lines[-1] and "lost 0, stored twice 0" in lines[-1]
    assert len({line.split()[1] for line in lines[:2]}) == 2  # each hub was killed once
