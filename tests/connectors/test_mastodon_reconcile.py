"""Mastodon reconciliation against a server that renders, ignores and races like the real ones."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from socialdesk.connectors.base import CannotTell, OutgoingReply
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.connectors.mastodon_server import comparable, honours_idempotency_key, same_text, stored_text
from tests.outbox import fake_mastodon as fm


@pytest.fixture
def server() -> Iterator[fm.FakeMastodon]:
    fake = fm.FakeMastodon(honour_keys=False)
    fake.start()
    yield fake
    fake.stop()


def reply(text: str, parent: str | None = "100", key: str = "k", **kwargs: object) -> OutgoingReply:
    return OutgoingReply(key, text, parent, first_attempt_at=time.time() - 5, **kwargs)  # type: ignore[arg-type]


def connector(fake: fm.FakeMastodon) -> MastodonConnector:
    return fm.mastodon_connector(fake.url)


def test_the_server_shows_a_mention_without_its_domain() -> None:
    content = fm.render(
        "@user0@other.example Sorry! See https://acme.example/orders/12345/status/long-path",
        fm.FakeMastodon().accounts,
    )
    assert "@<span>user0</span></a></span>" in content and "other.example Sorry" not in content
    assert stored_text(content).strip().startswith("@user0 Sorry!")
    assert same_text(
        "@user0@other.example Sorry! See https://acme.example/orders/12345/status/long-path", content
    )
    assert not same_text("@user0@other.example Sorry!", content)
    assert comparable("@Bob@x.example  hi\nthere") == comparable("@bob hi there")


def test_find_sent_matches_what_the_server_stored(server: fm.FakeMastodon) -> None:
    sent = connector(server).send(reply("@user0@other.example We are on it, sorry!\n\nAna"))
    found = connector(server).find_sent(reply("@user0@other.example We are on it, sorry!\n\nAna"))
    assert found is not None and found.native_id == sent.native_id
    assert connector(server).find_sent(reply("@user0@other.example We are on it, sorry!", "101")) is None


def test_find_sent_looks_in_the_parents_replies_not_only_our_latest_statuses(server: fm.FakeMastodon) -> None:
    mastodon = connector(server)
    sent = mastodon.send(reply("@user0@other.example Refund on its way"))
    for i in range(45):  # a busy account: our reply is no longer among the latest 40
        mastodon.send(reply(f"@user1@other.example answer {i}", "101", key=f"k{i}"))
    found = connector(server).find_sent(reply("@user0@other.example Refund on its way"))
    assert found is not None and found.native_id == sent.native_id


def test_find_sent_proves_absence_by_reading_back_to_the_first_attempt(server: fm.FakeMastodon) -> None:
    mastodon = connector(server)
    mastodon.send(reply("@user1@other.example another customer", "101"))
    assert (
        mastodon.find_sent(reply("a DM nobody got", None, dm=True, to_handle="user0@other.example")) is None
    )
    own = server.server.calls("GET", f"/api/v1/accounts/{fm.ME['id']}/statuses")  # type: ignore[union-attr]
    assert own, "absence was proved by reading our statuses"


def test_find_sent_cannot_tell_when_the_history_is_too_long(server: fm.FakeMastodon) -> None:
    mastodon = connector(server)
    mastodon.LOOKBACK_PAGES = 1
    for i in range(41):
        mastodon.send(reply(f"@user1@other.example answer {i}", "101", key=f"k{i}"))
    old = OutgoingReply("k", "never sent", None, dm=True, first_attempt_at=time.time() - 86400)
    with pytest.raises(CannotTell):
        mastodon.find_sent(old)


@pytest.mark.parametrize(
    ("instance", "honoured"),
    [
        (fm.MASTODON, True),
        ({"version": "4.3.0+glitch", "source_url": "https://github.com/glitch-soc/mastodon"}, True),
        ({"version": "3.5.3"}, True),  # v1 instance of an older Mastodon: no source_url
        (fm.GOTOSOCIAL, False),
        ({"version": "0.17.3 git-bd5e5a7"}, False),  # GoToSocial's v1 instance
        ({"version": "takahe/0.11.0"}, False),
        ({"version": "2.7.2 (compatible; Pleroma 2.6.2)"}, False),
        ({"version": "4.2.0", "source_url": "https://git.example/other/server"}, False),
        ({}, False),
    ],
)
def test_only_mastodon_itself_is_trusted_with_the_idempotency_key(
    instance: dict[str, str], honoured: bool
) -> None:
    assert honours_idempotency_key(instance) is honoured


@pytest.mark.parametrize("honour", [True, False])
def test_a_resend_is_harmless_only_on_mastodon_within_the_hour(honour: bool) -> None:
    fake = fm.FakeMastodon(honour_keys=honour)
    fake.start()
    try:
        mastodon = connector(fake)
        assert mastodon.resend_is_harmless(reply("x"), 60) is honour
        assert mastodon.resend_is_harmless(reply("x"), 3600) is False
    finally:
        fake.stop()


def test_a_markdown_account_on_gotosocial_stores_what_we_typed(server: fm.FakeMastodon) -> None:
    server.markdown_default = True  # the account's preferred format; our status says text/plain
    sent = connector(server).send(reply("@user0@other.example this is *urgent*, sorry"))
    assert "*urgent*" in server.statuses[0]["content"]
    found = connector(server).find_sent(reply("@user0@other.example this is *urgent*, sorry"))
    assert found is not None and found.native_id == sent.native_id
