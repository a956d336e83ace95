"""The team's notices on a real PostgreSQL: what the hub's rules raise as it stores a post reaches every
desk's cache, once, on the post it was raised for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec.structs
import psycopg
import pytest

from socialdesk.hub.publish import Publisher
from socialdesk.models import Post
from socialdesk.services import team_replica
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store, Triage
from socialdesk.team import hub_leases
from tests.team.hub_network import HubMastodon
from tests.team.test_hub import TRIAGER

pytestmark = pytest.mark.postgres
VIP = ("desk", "rule 'vip'")


def noticing(posts: Sequence[Post], store: Store) -> list[Triage]:
    """The solo desk's triage with a rule that notifies the desk of customer 1's posts."""
    return [
        msgspec.structs.replace(t, notify=(VIP,) if p.author.handle.startswith("user101") else ())
        for p, t in zip(posts, TRIAGER.triage_many(posts, store), strict=True)
    ]


@pytest.fixture
def fake() -> Iterator[HubMastodon]:
    server = HubMastodon()
    yield server
    server.stop()


def test_a_rules_notice_raised_as_the_hub_stores_a_post_reaches_every_desk_once(
    fake: HubMastodon, team_db: str, tmp_path: Path
) -> None:
    fake.mention(1, "my card was charged twice")
    fake.mention(2, "thanks!")
    with psycopg.connect(team_db, autocommit=True) as db:
        lease = hub_leases.try_lead(db, "support", "hub-a")
        assert lease is not None
        source = Source("support", fake.connector())
        for name in ("hub-a", "hub-b"):  # the second: a new leader's cache, from the start again
            store = Store(tmp_path / f"{name}.db")
            publisher = Publisher(db, store, source, lease)
            assert sync_source(store, source, noticing, on_page=publisher).state == SourceState.OK
            assert store.conn.execute("SELECT count(*) FROM notifications").fetchone() == (1,)
        notices = db.execute(
            "SELECT n.audience, n.origin, p.text FROM notices n JOIN posts p ON p.id = n.post_id"
        )
        assert notices.fetchall() == [("desk", "rule 'vip'", "@acme my card was charged twice")]
        for desk in ("ann", "bob"):
            cache = Store(tmp_path / f"{desk}.db")
            assert team_replica.pull(db, cache).notices == 1
            held = cache.conn.execute(
                "SELECT n.audience, n.origin, p.text FROM notifications n JOIN posts p ON p.id = n.post_id"
            )
            assert [tuple(r) for r in held] == [("desk", "rule 'vip'", "@acme my card was charged twice")]
            assert team_replica.pull(db, cache).notices == 0  # read once
