"""Ticket numbers: one per conversation, stable, quotable in search; merged and split with undo."""

from __future__ import annotations

import pytest

from socialdesk.models import Agent, Author, Post
from socialdesk.services.feed_model import FeedModel
from socialdesk.services.query import QueryError, parse_query
from socialdesk.services.queue import QueueService
from socialdesk.store import Store, tickets
from socialdesk.store.queries import count, feed_page

US = Author("us", "brand")
ANA = Author("a", "ana@social.example")


def conversation(store: Store) -> dict[str, int]:
    """Two conversations of one customer on Mastodon: 1 <- 2 <- 3 (a thread) and 10 (alone)."""
    ana = ANA
    store.upsert_posts(
        [
            Post("mastodon", "1", ana, "my parcel is late", 1.0, conversation_id="1"),
            Post(
                "mastodon",
                "2",
                US,
                "sorry, checking",
                2.0,
                in_reply_to="1",
                conversation_id="1",
                is_ours=True,
            ),
            Post(
                "mastodon", "3", ana, "also the invoice is wrong", 3.0, in_reply_to="2", conversation_id="1"
            ),
            Post("mastodon", "10", ana, "still no parcel", 10.0),
        ]
    )
    rows = store.conn.execute("SELECT native_id, id FROM posts").fetchall()
    return {native: pid for native, pid in rows}


def ticket_shown(model: FeedModel, post_id: int) -> str:
    detail = model.load_detail(post_id).thread
    assert detail is not None
    return detail.ticket


def found(store: Store, query: str) -> set[int]:
    flt = parse_query(query)
    return {row.id for row in feed_page(store.conn, flt, limit=50).rows}


def test_a_conversation_keeps_one_short_ticket_from_any_of_its_posts(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    first = ticket_shown(model, ids["3"])
    assert first == "T-1001"  # 1000 + the cache id of the conversation's first post: short, stable
    assert ticket_shown(model, ids["1"]) == first and ticket_shown(model, ids["3"]) == first
    assert ticket_shown(model, ids["10"]) == "T-1004"
    store.upsert_posts([Post("mastodon", "4", ANA, "any news?", 4.0, in_reply_to="3", conversation_id="1")])
    assert (
        ticket_shown(model, store.conn.execute("SELECT id FROM posts WHERE native_id='4'").fetchone()[0])
        == first
    )


def test_search_finds_a_ticket_by_field_and_bare(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    ticket_shown(model, ids["1"])
    thread = {ids["1"], ids["2"], ids["3"]}
    assert found(store, "ticket:T-1001") == thread
    assert found(store, "ticket:1001") == thread
    assert found(store, "t-1001") == thread
    assert found(store, "ticket:T-1004") == set()  # conversation 10's, not given yet
    with pytest.raises(QueryError, match="ticket: wants a ticket number"):
        parse_query("ticket:parcel")


def test_merge_shares_the_ticket_and_unmerge_undoes_it(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    ticket_shown(model, ids["1"])
    ticket_shown(model, ids["10"])
    with store.transaction() as tx:
        assert tickets.merge(tx, 1004, 1001) == 1001
    assert ticket_shown(model, ids["10"]) == "T-1001"
    assert model.load_detail(ids["1"]).thread.merged == ("T-1004",)  # type: ignore[union-attr]
    everything = set(ids.values())
    assert found(store, "ticket:T-1001") == everything
    assert found(store, "ticket:T-1004") == everything  # the customer may quote the old number
    tickets.unmerge(store.conn, 1004)
    assert ticket_shown(model, ids["10"]) == "T-1004"
    assert found(store, "ticket:T-1001") == {ids["1"], ids["2"], ids["3"]}


def test_merges_stay_one_hop(store: Store) -> None:
    for _ in range(3):
        tickets._new(store.conn)
    tickets.merge(store.conn, 1000, 1001)
    tickets.merge(store.conn, 1001, 1002)
    assert tickets.final(store.conn, 1000) == 1002 and tickets.merged_with(store.conn, 1002) == [1000, 1001]


def test_split_moves_a_post_and_what_follows_to_a_new_ticket(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    ticket_shown(model, ids["1"])
    with store.transaction() as tx:
        new = tickets.split(tx, [ids["3"]])
    assert ticket_shown(model, ids["3"]) == tickets.label(new)
    assert ticket_shown(model, ids["1"]) == "T-1001"  # the earlier posts keep theirs
    store.upsert_posts([Post("mastodon", "5", ANA, "and?", 5.0, in_reply_to="3", conversation_id="1")])
    five = store.conn.execute("SELECT id FROM posts WHERE native_id='5'").fetchone()[0]
    assert ticket_shown(model, five) == tickets.label(new)  # a reply follows the split post
    tickets.move(store.conn, [ids["3"], five], 1001)
    assert ticket_shown(model, ids["3"]) == "T-1001"
    assert count(store.conn, parse_query(f"ticket:{new}")) == 0


def test_the_number_does_not_depend_on_what_was_opened_before(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    # Opened in the other order than the first test: each keeps the number of its first post.
    assert ticket_shown(model, ids["10"]) == "T-1004"
    assert ticket_shown(model, ids["2"]) == "T-1001"


def statuses(store: Store) -> dict[str, str]:
    return dict(store.conn.execute("SELECT native_id, status FROM posts WHERE is_ours = 0").fetchall())


def test_a_status_set_on_a_merged_conversation_carries_to_the_whole_ticket(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    ticket_shown(model, ids["1"])
    ticket_shown(model, ids["10"])
    queue = QueueService(store, Agent("Ana"))
    with store.transaction() as tx:
        tickets.merge(tx, 1004, 1001)
    queue.resolve([ids["10"]])  # resolved from the merged-in conversation: the ticket's posts go with it
    assert statuses(store) == {"1": "resolved", "3": "resolved", "10": "resolved"}
    queue.reopen([ids["3"]])  # and from the other side
    assert statuses(store) == {"1": "open", "3": "open", "10": "open"}
    queue.assign([ids["1"]], "Bo")
    assigned = store.conn.execute("SELECT DISTINCT assigned_to FROM posts WHERE is_ours = 0").fetchall()
    assert assigned == [("Bo",)]
    tickets.unmerge(store.conn, 1004)
    queue.resolve([ids["10"]])  # apart again: only its own conversation
    assert statuses(store) == {"1": "open", "3": "open", "10": "resolved"}


def test_a_split_off_post_keeps_its_own_status(store: Store) -> None:
    ids = conversation(store)
    ticket_shown(FeedModel(store), ids["1"])
    with store.transaction() as tx:
        tickets.split(tx, [ids["3"]])
    QueueService(store, Agent("Ana")).resolve([ids["1"]])
    assert statuses(store) == {"1": "resolved", "3": "new", "10": "new"}


def test_a_merged_conversation_is_shown_with_the_thread(store: Store) -> None:
    ids = conversation(store)
    model = FeedModel(store)
    ticket_shown(model, ids["1"])
    ticket_shown(model, ids["10"])
    with store.transaction() as tx:
        tickets.merge(tx, 1004, 1001)
    store.upsert_posts([Post("mastodon", "11", ANA, "hello??", 11.0, in_reply_to="10", conversation_id="10")])
    detail = model.load_detail(ids["1"]).thread
    assert detail is not None
    assert [(label, [p.native_id for p in posts]) for label, posts in detail.merged_posts] == [
        ("T-1004", ["10", "11"])  # with its follow-up not opened yet
    ]
    other = model.load_detail(ids["10"]).thread  # and from the merged-in side, the ticket it joined
    assert other is not None
    assert [(label, [p.native_id for p in posts]) for label, posts in other.merged_posts] == [
        ("T-1001", ["1", "2", "3"])
    ]


def test_a_side_branch_of_the_thread_is_not_shown_as_a_merged_conversation(store: Store) -> None:
    ids = conversation(store)
    store.upsert_posts([Post("mastodon", "4", ANA, "and the box", 2.5, in_reply_to="1", conversation_id="1")])
    detail = FeedModel(store).load_detail(ids["3"]).thread  # 4 is older than 3 and not its ancestor
    assert detail is not None and detail.merged_posts == ()
