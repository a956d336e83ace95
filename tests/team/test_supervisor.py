"""The supervisor's figures on a real PostgreSQL: claims per agent, queue sizes, SLA breaches."""

from __future__ import annotations

import psycopg
import pytest

from socialdesk.team import claims
from socialdesk.team.roles import NotAllowed
from socialdesk.team.supervisor import supervisor_view
from tests.team.seed import add_agents, add_conversation

pytestmark = pytest.mark.postgres


def test_the_view_shows_claims_queue_sizes_and_breaches(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        add_agents(conn, ann="agent", bob="agent", pat="approver", sue="supervisor")
        now_row = conn.execute("SELECT team_now()").fetchone()
        assert now_row is not None
        now = float(now_row[0])
        late = add_conversation(conn, "late", priority=3, due_at=now - 600)
        later = add_conversation(conn, "later", priority=3, due_at=now - 60)
        on_time = add_conversation(conn, "on-time", priority=2, due_at=now + 3600)
        answered = add_conversation(conn, "answered", priority=1, due_at=now - 900)
        conn.execute("UPDATE conversations SET first_response_at = %s WHERE id = %s", (now - 950, answered))
        add_conversation(conn, "waiting", status="pending", due_at=now - 10_000)
        add_conversation(conn, "done", status="resolved", due_at=now - 10_000)
        add_conversation(conn, "unclaimed", priority=0)
        taken = [claims.claim_next(conn, a) for a in ("ann", "bob", "ann")]
        assert [c.conversation_id if c else None for c in taken] == [late, later, on_time]
        conn.execute(
            "INSERT INTO replies (network, text, state, idempotency_key) "
            "VALUES ('demo', 'x', 'awaiting_approval', 'k')"
        )
        view = supervisor_view(conn, "sue")
    loads = {load.agent: load.claimed for load in view.agents}
    assert loads == {"ann": (late, on_time), "bob": (later,), "pat": (), "sue": ()}
    assert view.queue == {"new": 2, "open": 3, "pending": 1, "snoozed": 0, "escalated": 0}
    assert view.claimable == 2  # "answered" and "unclaimed"
    assert view.awaiting_approval == 1
    assert view.breach_count == 3  # late, later and the pending one; not the answered nor the resolved
    assert [b.conversation_id for b in view.breaches][1:] == [late, later]
    assert view.breaches[1].assigned_to == "ann" and 590 < view.breaches[1].overdue < 3600


@pytest.mark.parametrize("viewer", ["ann", "pat", "stranger"])
def test_only_a_supervisor_sees_the_view(team_db: str, viewer: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as conn:
        add_agents(conn, ann="agent", pat="approver", sue="supervisor")
        with pytest.raises(NotAllowed):
            supervisor_view(conn, viewer)
