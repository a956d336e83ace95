"""What the hub learns of each account reaches the desks: its server's real limit, refused credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from socialdesk.services import team_replica
from socialdesk.store import Store
from socialdesk.team import accounts, hub_leases
from socialdesk.team.hub_leases import Fenced
from socialdesk.testing import Reply
from tests.team.desk_seed import publish_account
from tests.team.hub_network import HubMastodon
from tests.team.test_hub import make_hub, running, until

pytestmark = pytest.mark.postgres
INVALID = "The access token is invalid"  # Mastodon's 401 body for a revoked token (Doorkeeper)


@pytest.fixture
def fake() -> Iterator[HubMastodon]:
    server = HubMastodon()
    server.sender.max_characters = 5000  # an instance that raised Mastodon's 500
    yield server
    server.stop()


def account_row(db: psycopg.Connection) -> tuple[object, ...] | None:
    return db.execute(
        "SELECT network, max_length, refused, change_seq FROM accounts WHERE account = 'support'"
    ).fetchone()


def test_the_hub_publishes_the_instances_limit_and_a_refusal_and_every_desk_gets_them(
    fake: HubMastodon, team_db: str, tmp_path: Path
) -> None:
    fake.mention(1, "where is my refund?")
    desk = Store(tmp_path / "ann.db")
    with psycopg.connect(team_db, autocommit=True) as db:
        hub = make_hub(team_db, fake, tmp_path, "hub-a", sync_interval=0.05)
        with running(hub):
            until(db, lambda c: (r := account_row(c)) is not None and r[1] == 5000, timeout=20)
            first = account_row(db)
            # three more syncs, nothing new: the row is not written again (no feed row per sync)
            polled = len(fake.server.calls("GET", "/api/v1/notifications"))
            until(db, lambda c: len(fake.server.calls("GET", "/api/v1/notifications")) >= polled + 3)
        assert account_row(db) == first
        assert first is not None and first[:3] == ("mastodon", 5000, "")
        pulled = team_replica.pull(db, desk)
        assert desk.limits("support") == (5000, 23)
        assert pulled.refused == {} and pulled.newly_refused == []

        # The instance revokes the hub's token: the hub marks the account, every desk is told why.
        fake.server.route("GET", "/api/v1/notifications", lambda r: Reply(401, {"error": INVALID}))
        with running(make_hub(team_db, fake, tmp_path, "hub-a", sync_interval=0.05)):
            until(db, lambda c: (r := account_row(c)) is not None and r[2] != "", timeout=20)
        refused = account_row(db)
        assert refused is not None and INVALID in str(refused[2])
        pulled = team_replica.pull(db, desk)
        assert list(pulled.refused or {}) == ["support"] and INVALID in (pulled.refused or {})["support"]
        assert [a for a, _ in pulled.newly_refused] == ["support"]
        assert desk.limits("support") == (5000, 23)  # the limit known stays
        # read again with nothing new: still refused, not newly
        again = team_replica.pull(db, desk)
        assert list(again.refused or {}) == ["support"] and again.newly_refused == []

        # The credentials work again (as after `accounts login` on the hub): the mark goes everywhere.
        publish_account(db, "support", "mastodon", (5000, 23))
        cleared = team_replica.pull(db, desk)
        assert cleared.refused == {} and cleared.newly_refused == []


def test_publishing_the_same_state_again_writes_nothing(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as db:
        assert publish_account(db, "support", "mastodon", (5000, 23))
        seq = account_row(db)
        assert not publish_account(db, "support", "mastodon", (5000, 23), holder="hub-b")
        assert account_row(db) == seq
        assert publish_account(db, "support", "mastodon", (5000, 23), "token revoked", 1.0)
        assert not publish_account(db, "support", "mastodon", (5000, 23), "token revoked", 1.0)


def test_a_hub_that_lost_the_lead_cannot_write_the_accounts_row(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as a, psycopg.connect(team_db, autocommit=True) as b:
        old = hub_leases.try_lead(a, "support", "hub-a")
        assert old is not None
        assert accounts.publish(a, old, "mastodon", (5000, 23))
        hub_leases.release(a, old)  # hub-a's lead ends: hub-b takes over (epoch 2) ...
        new = hub_leases.try_lead(b, "support", "hub-b")
        assert new is not None and new.epoch == old.epoch + 1
        with pytest.raises(Fenced, match="hub-a no longer leads support"):  # ... and hub-a's late write
            accounts.publish(a, old, "mastodon", (500, 23), "The access token is invalid", 1.0)
        written = "SELECT max_length, refused, hub, epoch FROM accounts WHERE account = 'support'"
        assert a.execute(written).fetchone() == (5000, "", "hub-a", old.epoch)  # is not written
        assert accounts.publish(b, new, "mastodon", (500, 23))
        assert a.execute(written).fetchone() == (500, "", "hub-b", new.epoch)
