"""`socialdesk bench --team` on a real PostgreSQL: the claim race runs and counts (no times asserted)."""

from __future__ import annotations

import pytest

from socialdesk.bench import team

pytestmark = pytest.mark.postgres


def test_the_claim_race_claims_each_conversation_once(pg_url: str) -> None:
    result = team.claim_race(pg_url, desks=6, conversations=60)
    assert (result["double_claims"], result["unclaimed"], result["errors"]) == (0, 0, [])
    assert result["claims"] == 60 and result["p99_ms"] >= result["p50_ms"] > 0


def test_the_team_suite_prints_its_table_and_what_it_does_not_measure(
    pg_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.postgres_fixtures import with_database

    monkeypatch.setitem(team.DESK_SIZES, "quick", (3, 20, 1))
    lines: list[str] = []
    url = with_database(pg_server, "postgres")
    team.run(url, (2,), 10, say=lines.append, quick=True)
    text = "\n".join(lines)
    assert "claim-next p99" in text and "not measured yet" not in text  # hub failover: `bench --team`
    assert "status seen by every other desk" in text and "desk cold start to the first feed page" in text
    assert "cores" in text and "load average" in text


def test_every_desk_sees_each_status_change(pg_url: str) -> None:
    from socialdesk.bench import team_desk

    result = team_desk.status_seen(pg_url, desks=3, changes=4)
    assert result["changes"] == 4 and result["max_ms"] >= result["p95_ms"] >= result["p50_ms"] > 0
