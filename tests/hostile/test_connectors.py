"""Each connector's parser, fed the hostile corpus through its fake server and the real sync engine:
no sync fails for one bad item, its neighbours are stored, nothing unstorable reaches the cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from socialdesk.connectors.base import Connector
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from socialdesk.testing import Loopback
from tests.connectors import test_bluesky, test_feeds, test_mastodon, test_x
from tests.hostile.corpus import HOSTILE_TEXT
from tests.hostile.tally import TALLY

# The corpus minus the 1 MB text (sent through every field of four networks it only costs time; the
# JSONL and sync tests carry it).
TEXTS = {k: v for k, v in HOSTILE_TEXT.items() if len(v) < 100_000}
BAD_DATES = {"year 9999": "9999-12-31T23:59:59Z", "year 1": "0001-01-01T00:00:00Z", "garbage": "\ud800"}
HUGE = 10**30


def _mastodon_set(item: dict[str, Any], where: str, value: Any) -> None:
    status = item
    if where == "text":
        status["content"] = f"<p>{value}</p>"
    elif where == "cw":
        status["spoiler_text"] = value
    elif where in ("acct", "display_name", "url"):
        status["account"] = {**status["account"], where: value}
    elif where == "created_at":
        status["created_at"] = value
    elif where == "followers":
        status["account"] = {**status["account"], "followers_count": value}


def _x_set(fake: Any, item: dict[str, Any], where: str, value: Any) -> None:
    if where == "text":
        item["text"] = value
    elif where == "created_at":
        item["created_at"] = value
    else:
        author = item["author_id"] = "777"
        plain = fake.user

        def user(uid: str) -> dict[str, Any]:
            found = plain(uid)
            if uid == author:
                if where == "followers":
                    found["public_metrics"] = {**found["public_metrics"], "followers_count": value}
                else:
                    found[where] = value
            return found

        fake.user = user


def _bluesky_set(item: dict[str, Any], where: str, value: Any) -> None:
    if where == "text":
        item["record"]["text"] = value
    elif where == "created_at":
        item["record"]["createdAt"] = value
    elif where in ("handle", "displayName"):
        item["author"] = {**item["author"], where: value}


@dataclass
class Network:
    """How the hostile tests drive one connector through its fake."""

    name: str
    fields: tuple[str, ...]
    start: Callable[[Loopback], Any]
    connector: Callable[[Loopback], Connector]
    add: Callable[[Any], str]  # a new good item; returns its native id
    poison: Callable[[Any, str, Any], str]  # a new item with `value` in `field`; returns its native id


def _mastodon_poison(fake: Any, where: str, value: Any) -> str:
    status = fake.mention()
    _mastodon_set(status, where, value)
    for note in fake.notifications:
        if note["status"]["id"] == status["id"]:
            note["status"], note["account"] = status, status["account"]
    return str(status["id"])


def _x_poison(fake: Any, where: str, value: Any) -> str:
    tweet = fake.mention()
    _x_set(fake, tweet, where, value)
    return str(tweet["id"])


def _bluesky_poison(fake: Any, where: str, value: Any) -> str:
    item = fake.notify()
    _bluesky_set(item, where, value)
    return str(item["uri"])


def _feeds_poison(fake: Any, where: str, value: Any) -> str:
    guid = fake.add()
    fake.items[-1][where] = value
    return guid


NETWORKS = [
    Network(
        "mastodon",
        ("text", "cw", "acct", "display_name", "url"),
        test_mastodon.FakeMastodon,
        test_mastodon.make,
        lambda fake: str(fake.mention()["id"]),
        _mastodon_poison,
    ),
    Network(
        "x",
        ("text", "username", "name"),
        test_x.FakeX,
        test_x.make,
        lambda fake: str(fake.mention()["id"]),
        _x_poison,
    ),
    Network(
        "bluesky",
        ("text", "handle", "displayName"),
        test_bluesky.FakeBluesky,
        test_bluesky.make,
        lambda fake: str(fake.notify()["uri"]),
        _bluesky_poison,
    ),
    Network(
        "feeds",
        ("title", "description"),
        test_feeds.FakeFeed,
        test_feeds.make,
        lambda fake: fake.add(),
        _feeds_poison,
    ),
]


def _cases() -> list[Any]:
    """One sync per network and field, carrying every hostile value for that field (each between two
    good items), so the whole corpus crosses each parser without a server round trip per case."""
    cases = []
    for network in NETWORKS:
        texts = TEXTS
        if network.name == "feeds":  # XML cannot carry a lone surrogate at all (not even as a reference)
            texts = {k: v for k, v in TEXTS.items() if not any("\ud800" <= c <= "\udfff" for c in v)}
        for where in network.fields:
            cases.append(pytest.param(network, where, list(texts.values()), id=f"{network.name}-{where}"))
    for network in NETWORKS[:3]:
        cases.append(
            pytest.param(network, "created_at", list(BAD_DATES.values()), id=f"{network.name}-dates")
        )
    for network in NETWORKS[:2]:
        cases.append(pytest.param(network, "followers", [HUGE], id=f"{network.name}-followers-10^30"))
    return cases


def _stored(store: Store, native_id: str) -> bool:
    return store.conn.execute("SELECT 1 FROM posts WHERE native_id = ?", (native_id,)).fetchone() is not None


@pytest.mark.parametrize(("network", "where", "values"), _cases())
def test_one_hostile_item_never_stops_a_connector(
    loopback_server: Loopback, store: Store, network: Network, where: str, values: list[Any]
) -> None:
    TALLY.case(len(values))
    fake = network.start(loopback_server)
    good: list[str] = []
    bad: list[str] = []
    connector = network.connector(loopback_server)
    # A few items per round: a first sync reads only the newest page, as each network's client does.
    for start in range(0, len(values), 3):
        good.append(network.add(fake))
        for value in values[start : start + 3]:
            bad.append(network.poison(fake, where, value))
            good.append(network.add(fake))
        try:
            report = sync_source(store, Source(network.name, connector))
        except BaseException:
            TALLY.tracebacks += 1
            raise
        assert report.state == SourceState.OK, report.message
    connector.close()
    lost = [n for n in good if not _stored(store, n)]
    TALLY.lost += len(lost)
    assert not lost
    # Each bad item is stored (made storable) or quarantined; either way the cache stays readable.
    quarantined = store.conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
    assert sum(_stored(store, n) for n in bad) + quarantined >= len(bad)
    for created_at, followers in store.conn.execute(
        "SELECT p.created_at, i.followers FROM posts p JOIN identities i ON i.customer_id = p.customer_id"
    ):
        assert 0 <= created_at < 4_102_444_800 and 0 <= followers < 2**63
