"""Block, mute and report through the Mastodon API (a fake shaped like Mastodon's controllers), audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.connectors.base import Connector
from socialdesk.errors import UserError
from socialdesk.models import Author, Post
from socialdesk.services.moderation import moderate
from socialdesk.store import Store
from tests.outbox.fake_mastodon import FakeMastodon, mastodon_connector


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    server = FakeMastodon()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cached(tmp_path: Path, fake: FakeMastodon) -> Store:
    """The cache holding customer user0's status 100 (author a-user0) and a stranger's post."""
    store = Store(tmp_path / "c.db")
    status = fake.customers["100"]
    store.upsert_posts(
        [
            Post(
                "mastodon",
                "100",
                Author("a-user0", "user0@other.example"),
                "spam spam",
                1.0,
                account="support",
                raw=status,
            ),
            Post("mastodon", "555", Author("a-ghost", "ghost@gone.example"), "hello", 2.0, account="support"),
        ]
    )
    return store


def post_id(store: Store, native: str) -> int:
    return int(store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (native,)).fetchone()[0])


def resolver(fake: FakeMastodon):  # type: ignore[no-untyped-def]
    def resolve(network: str, account: str) -> Connector:
        assert (network, account) == ("mastodon", "support")
        return mastodon_connector(fake.url)

    return resolve


def audit(store: Store) -> list[tuple[str, dict[str, object]]]:
    rows = store.conn.execute("SELECT action, detail FROM audit WHERE action LIKE 'moderation.%' ORDER BY id")
    return [(a, json.loads(d)) for a, d in rows]


def test_block_and_mute_reach_the_server_and_are_audited(fake: FakeMastodon, cached: Store) -> None:
    assert (
        moderate(cached, resolver(fake), "Ana", post_id(cached, "100"), "block")
        == "@user0@other.example blocked"
    )
    assert (
        moderate(cached, resolver(fake), "Ana", post_id(cached, "100"), "mute")
        == "@user0@other.example muted"
    )
    assert fake.blocked == {"a-user0"} and fake.muted == {"a-user0"}
    assert [a for a, _ in audit(cached)] == ["moderation.block", "moderation.mute"]
    assert audit(cached)[0][1] == {
        "network": "mastodon",
        "account": "support",
        "target": "@user0@other.example",
        "result": "@user0@other.example blocked",
    }


def test_a_report_carries_the_post_and_the_comment(fake: FakeMastodon, cached: Store) -> None:
    result = moderate(cached, resolver(fake), "Ana", post_id(cached, "100"), "report", "Spam: post 100")
    assert result == "@user0@other.example reported as spam (report 1)"
    (report,) = fake.reports
    assert (report["category"], report["comment"], report["status_ids"]) == (
        "spam",
        "Spam: post 100",
        ["100"],
    )


def test_a_refusal_is_one_line_and_audited(fake: FakeMastodon, cached: Store) -> None:
    with pytest.raises(UserError) as caught:
        moderate(cached, resolver(fake), "Ana", post_id(cached, "555"), "block")
    assert "Block @ghost@gone.example failed" in str(caught.value) and "\n" not in str(caught.value)
    assert "404" in str(caught.value)
    assert [a for a, _ in audit(cached)] == ["moderation.block.failed"]
    assert fake.blocked == set()


def test_an_action_the_network_lacks_is_refused_before_anything_is_sent(cached: Store) -> None:
    from socialdesk.connectors.demo import DemoConnector

    with pytest.raises(UserError, match="offers no way to report as spam"):
        moderate(cached, lambda n, a: DemoConnector(account="demo"), "Ana", post_id(cached, "100"), "report")
    assert audit(cached) == []


# -- X: mute; block on the Enterprise plan only; no report --------------------------------------------


def test_x_mutes_and_says_plainly_that_blocking_needs_enterprise(loopback_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.connectors.fake_x import FakeX
    from tests.connectors.test_x_fetch import make

    fake_x = FakeX(loopback_server)
    store = Store(tmp_path / "x.db")
    store.upsert_posts([Post("x", "77", Author("1001", "spammer"), "free vouchers", 1.0, account="brand-x")])
    pid = post_id(store, "77")

    def resolve(network: str, account: str) -> Connector:
        return make(loopback_server)

    assert moderate(store, resolve, "Ana", pid, "mute") == "@spammer muted"
    assert fake_x.muted == {"1001"}
    with pytest.raises(UserError, match="Enterprise plan only"):
        moderate(store, resolve, "Ana", pid, "block")
    fake_x.enterprise = True
    assert moderate(store, resolve, "Ana", pid, "block") == "@spammer blocked"
    with pytest.raises(UserError, match="X offers no way to report as spam"):
        moderate(store, resolve, "Ana", pid, "report")
    assert [a for a, _ in audit(store)] == ["moderation.mute", "moderation.block.failed", "moderation.block"]
