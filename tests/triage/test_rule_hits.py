"""Live rule hits (what `rules test` shows): the rules new inbound posts fired, counted as they are stored."""

from __future__ import annotations

import time
from collections.abc import Callable

from socialdesk.config import SlaSettings
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from socialdesk.store.playbook_queries import rule_hit_counts

MakePost = Callable[..., Post]


def counting_triager() -> Triager:
    rules = [
        {"name": "refund", "keywords": ["refund"], "tag": "refund"},
        {"name": "late", "keywords": ["late"], "tag": "late"},
    ]
    triager = Triager.from_playbook(PlaybookFile("pb.toml", {"rule": rules}), SlaSettings())
    triager.count_hits = True  # as the desk's live playbook does
    return triager


def last_hour(store: Store) -> dict[str, int]:
    counts = rule_hit_counts(store.conn, int(time.time() // 60))
    return {rule: spans["1h"] for rule, spans in counts.items()}


def store_triaged(store: Store, triager: Triager, posts: list[Post]) -> None:
    with store.transaction():
        store.upsert_posts(posts, triager.triage_many(posts, store))


def test_each_new_inbound_post_counts_once_and_our_replies_not_at_all(
    store: Store, make_post: MakePost
) -> None:
    triager = counting_triager()
    batch = [
        make_post("I want a refund", native_id="p1"),
        make_post("refund, and it came late", native_id="p2"),
        make_post("refund sent, sorry it was late", native_id="p3", is_ours=True),
        make_post("thanks", native_id="p4"),
        make_post("I want a refund", native_id="p1"),  # the same post twice in a page
    ]
    store_triaged(store, triager, batch)
    assert last_hour(store) == {"refund": 3, "late": 1}
    again = [make_post("I want a refund", native_id="p1"), make_post("another refund", native_id="p5")]
    store_triaged(store, triager, again)  # p1 is a re-delivery
    assert last_hour(store) == {"refund": 4, "late": 1}


class Pages(Connector):
    """Hands out the pages it is given, under one account."""

    name = "x"
    capabilities = Capabilities()

    def __init__(self, pages: list[list[Post]]) -> None:
        super().__init__("brand")
        self.pages = pages

    def fetch(self, cursor: str | None) -> FetchResult:
        index = int(cursor or 0)
        return FetchResult(self.pages[index], str(index + 1), more=index + 1 < len(self.pages))


def test_a_post_the_cache_refuses_is_not_counted(store: Store, make_post: MakePost) -> None:
    nested: dict[str, object] = {}
    for _ in range(100_000):  # JSON cannot write it: the post is quarantined when stored
        nested = {"x": nested}
    pages = [
        [make_post("refund please", native_id="p1")],
        [make_post("refund now", native_id="p2", raw=nested), make_post("late again", native_id="p3")],
    ]
    report = sync_source(store, Source("brand", Pages(pages)), counting_triager())
    assert report.state == SourceState.OK and report.quarantined == 1 and len(report.new_ids) == 2
    assert last_hour(store) == {"refund": 1, "late": 1}
