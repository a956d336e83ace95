"""The demo network is deterministic and realistic."""

from __future__ import annotations

from collections import Counter

from socialdesk.connectors.demo import WAVE_SECONDS, DemoConnector
from socialdesk.models import Post
from socialdesk.store import Store
from socialdesk.store import queries as q
from tests.conftest import FIXED_NOW, demo_connector


def fetch_all(connector: DemoConnector) -> list[Post]:
    posts, cursor = [], None
    while True:
        result = connector.fetch(cursor)
        posts += result.posts
        cursor = result.cursor
        if not result.more:
            return posts


def test_same_seed_same_workspace() -> None:
    a = demo_connector(posts=500).fetch(None)
    b = demo_connector(posts=500).fetch(None)
    assert [(p.native_id, p.text, p.author.handle, p.created_at) for p in a.posts] == [
        (p.native_id, p.text, p.author.handle, p.created_at) for p in b.posts
    ]


def test_workspace_has_what_an_agent_meets() -> None:
    posts = fetch_all(demo_connector(posts=3000))
    categories = Counter(p.raw.get("category") for p in posts if not p.is_ours)
    for kind in (
        "delivery",
        "billing",
        "outage",
        "question",
        "praise",
        "chatter",
        "spam",
        "foreign",
        "follow_up",
    ):
        assert categories[kind] > 0, kind
    assert len({p.network for p in posts}) >= 4
    assert any(any(ord(c) > 0x3000 for c in p.text) for p in posts)  # CJK
    assert any(any(ord(c) > 0x1F000 for c in p.text) for p in posts)  # emoji
    assert any(p.is_ours for p in posts) and any(p.in_reply_to and not p.is_ours for p in posts)
    recent = [p for p in posts if p.created_at > FIXED_NOW - WAVE_SECONDS and not p.is_ours]
    outage_recent = sum(p.raw.get("category") == "outage" for p in recent) / len(recent)
    outage_overall = categories["outage"] / sum(categories.values())
    assert outage_recent > 3 * outage_overall  # the brewing wave


def test_repeat_customers_are_linked_across_networks(demo_store: Store) -> None:
    linked = demo_store.conn.execute(
        "SELECT customer_id FROM identities GROUP BY customer_id HAVING COUNT(DISTINCT network) > 1"
    ).fetchall()
    assert linked
    customer = q.customer(demo_store.conn, linked[0][0])
    assert customer is not None and len({i.network for i in customer.identities}) == 2


def test_live_posts_keep_coming() -> None:
    connector = demo_connector(posts=100)
    first = connector.fetch(None)
    connector.clock = lambda: FIXED_NOW + 20
    second = connector.fetch(first.cursor)
    assert 3 <= len(second.posts) <= 7
    assert all(p.created_at > FIXED_NOW for p in second.posts)
