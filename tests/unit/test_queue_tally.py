"""The queue tally: saved queues' counts without reading posts, equal to counting the posts."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.models import Author, Post
from socialdesk.services.query import parse_query
from socialdesk.services.queue import DEFAULT_QUEUES
from socialdesk.store import Store, Triage, tag_pairs, tag_tally
from socialdesk.store import metrics_rollup_schema as rs
from socialdesk.store import queries as q
from socialdesk.store import queue_queries as qq
from socialdesk.store.migrate import migrate, statements
from socialdesk.store.queries import INBOUND, PostFilter, filter_sql
from socialdesk.store.queue_tally import BACKFILL, COLUMNS, answers
from socialdesk.store.vocabulary import vocabulary

NOW = 1_795_000_000.0
AGENTS = ("", "alice", "bob")
VALUES: dict[str, tuple[object, ...]] = {
    "status": ("new", "open", "pending", "snoozed", "escalated", "resolved", "closed"),
    "actionable": (0, 1),
    "is_ours": (0, 1),
    "assigned_to": AGENTS,
    "intent": ("", "question", "complaint", "praise"),
    "sentiment_label": ("", "positive", "neutral", "negative"),
}
QUERIES = (
    "",
    "is:open is:actionable",
    "status:resolved OR status:closed",
    "-status:new sentiment:negative",
    "intent:question assigned:bob",
    "assigned:me -status:resolved",
    "tag:refund",  # one tag: the tag tally
    "tag:refund is:open -intent:praise",
    "tag:refund,vip",  # two: a post with both counts once, the pairs' tally taking it away
    "tag:refund,vip is:open",
    "tag:refund,vip,spam",  # three: from the tags' index
    "tag:refund tag:vip",
    "delivery",  # full text: the same
)


def post(i: int) -> Post:
    return Post(
        network="x",
        native_id=f"x-{i}",
        author=Author(f"a{i % 3}", f"user{i % 3}", f"User {i % 3}"),
        text=f"post {i} about delivery",
        created_at=NOW - 10_000 + i,
    )


def filters() -> list[PostFilter]:
    found = [queue.filter(agent, NOW) for queue in DEFAULT_QUEUES for agent in AGENTS[1:]]
    found += [parse_query(text, agent="alice", now=NOW) for text in QUERIES]
    return found + [INBOUND.and_(f) for f in found]


def posts_count(conn: sqlite3.Connection, flt: PostFilter) -> int:
    where, params = filter_sql(flt)
    return int(conn.execute(f"SELECT COUNT(*) FROM posts p WHERE {where}", params).fetchone()[0])


def assert_counts_agree(conn: sqlite3.Connection) -> None:
    for flt in filters():
        assert q.count(conn, flt) == posts_count(conn, flt), flt


triages = st.builds(
    Triage,
    status=st.sampled_from(VALUES["status"][:5]),
    sentiment_label=st.sampled_from(VALUES["sentiment_label"]),
    intent=st.sampled_from(VALUES["intent"]),
    actionable=st.booleans(),
    assigned_to=st.sampled_from(AGENTS),
    tags=st.sampled_from(((), ("refund",), ("vip",), ("refund", "vip"))),
)
changes = st.one_of(
    st.tuples(st.just("insert"), triages),
    st.tuples(st.just("resync"), st.integers(0, 30)),
    st.tuples(
        st.just("update"),
        st.integers(0, 30),
        st.sampled_from(COLUMNS).flatmap(lambda c: st.tuples(st.just(c), st.sampled_from(VALUES[c]))),
    ),
    st.tuples(st.just("bulk"), st.sampled_from(VALUES["status"])),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("tag"), st.integers(0, 30), st.sampled_from(("refund", "vip"))),
    st.tuples(st.just("untag"), st.integers(0, 30), st.sampled_from(("refund", "vip"))),
)


@settings(max_examples=80)
@given(st.lists(changes, min_size=5, max_size=40))
def test_every_write_keeps_the_tally_equal_to_counting_the_posts(steps: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "cache.db")
        conn = store.conn
        conn.execute("PRAGMA foreign_keys = OFF")  # the desk never deletes a post; a future purge may
        try:
            stored = 0
            for step in steps:
                kind, arg = step[0], step[1]
                if kind == "insert":
                    assert isinstance(arg, Triage)
                    store.upsert_posts([post(stored)], [arg])
                    stored += 1
                elif kind == "resync" and stored:  # a post the network sends again: an UPDATE
                    store.upsert_posts([post(int(arg) % stored)], [Triage(status="open", assigned_to="bob")])
                elif kind == "update" and stored:
                    column, value = step[2]  # type: ignore[misc]
                    target = f"x-{int(arg) % stored}"
                    conn.execute(f"UPDATE posts SET {column} = ? WHERE native_id = ?", (value, target))
                elif kind == "bulk":  # one statement over many rows, as a bulk resolve does
                    conn.execute("UPDATE posts SET status = ? WHERE id % 2 = 0", (arg,))
                elif kind == "delete" and stored:  # a post deleted twice is gone the second time
                    conn.execute("DELETE FROM posts WHERE native_id = ?", (f"x-{int(arg) % stored}",))
                elif kind in ("tag", "untag") and stored:  # an agent's tag on a post shown, or a retriage's
                    found = conn.execute(
                        "SELECT id FROM posts WHERE native_id = ?", (f"x-{int(arg) % stored}",)
                    )
                    (qq.add_tag if kind == "tag" else qq.remove_tag)(
                        conn, [i for (i,) in found], str(step[2])
                    )
            assert_counts_agree(conn)
        finally:
            store.close()


def test_the_saved_queues_and_the_feed_are_counted_without_reading_a_post(store: Store) -> None:
    store.upsert_posts([post(i) for i in range(5)], [Triage(sentiment_label="negative")] * 5)
    for flt in [queue.filter("alice", NOW) for queue in DEFAULT_QUEUES] + [INBOUND, PostFilter()]:
        assert answers(flt.where), flt
        where, params = filter_sql(flt)
        plan = store.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT IFNULL(SUM(n), 0) FROM queue_tally p WHERE {where}", params
        ).fetchall()
        assert "posts" not in " ".join(r[-1] for r in plan)
    assert q.count(store.conn, DEFAULT_QUEUES[1].filter("alice", NOW)) == 5


def test_a_clause_naming_anything_else_is_counted_from_the_posts() -> None:
    assert answers(["p.status IN ('new', 'open')", "NOT (p.status IN (?,?))", "p.actionable = 1"])
    assert answers(["p.assigned_to = 'it''s p.created_at'"])  # inside a literal, a name is text
    for clause in (
        "p.created_at > ?",
        "lower(p.status) = 'new'",
        "p.id IN (SELECT post_id FROM post_tags)",
        "status = 'new'",  # unqualified: which table's?
        "p.status || 'x' = 'newx'",
        "p.status = 'new' -- ",
    ):
        assert not answers([clause]), clause


def test_a_cache_from_before_the_tally_is_backfilled_and_loses_its_counting_index(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    store = Store(path)
    conn = store.conn
    # The cache as schema 31 left it: no tally, the counting index, posts written without the triggers.
    for name in ("queue_tally_insert", "queue_tally_delete", "queue_tally_update"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DROP TABLE queue_tally")
    conn.execute("DROP INDEX metrics_resolutions_across")  # migration 33's
    conn.execute("DROP TRIGGER metrics_resolutions_post_moved")  # migration 34's
    conn.execute("DROP INDEX metrics_resolutions_network")
    for column in ("post_network", "post_quarter"):
        conn.execute(f"ALTER TABLE metrics_resolutions DROP COLUMN {column}")
    for name in ("metrics_posts_insert_answered", "metrics_posts_update", "metrics_posts_delete"):
        conn.execute(f"DROP TRIGGER {name}")  # migration 35's, which write tenths
    conn.execute("DROP TABLE metrics_response_tenths")
    conn.execute("DROP INDEX posts_sla_open")  # migration 37's
    for name in ("tagged", "untagged", "post_update"):  # migrations 40's and 41's
        conn.execute(f"DROP TRIGGER tag_tally_{name}")
        conn.execute(f"DROP TRIGGER tag_pairs_{name}")
    conn.execute("DROP TRIGGER tag_tally_post_delete")
    conn.execute("DROP TABLE tag_tally")
    conn.execute("DROP TABLE tag_pairs")
    conn.execute("DROP TABLE metrics_stale_quarters")  # migration 39's, and its triggers
    for name in ("post_delete", "post_moved", "status_changed", "status_delete"):
        conn.execute(f"DROP TRIGGER metrics_stale_{name}")
    conn.execute(  # migration 38 drops it
        "CREATE INDEX metrics_resolutions_again ON metrics_resolutions (prev_at, at, fine) "
        "WHERE prev_at IS NOT NULL"
    )
    conn.execute(
        "CREATE TABLE metrics_response_days (day INTEGER NOT NULL, bucket INTEGER NOT NULL, "
        "n INTEGER NOT NULL, PRIMARY KEY (day, bucket)) WITHOUT ROWID"
    )
    for statement in statements(rs.answered_trigger() + "\n" + rs.changed_triggers()):
        conn.execute(statement)
    conn.execute(
        "CREATE INDEX posts_queue_counts ON posts (status, actionable, is_ours, assigned_to, intent, "
        "sentiment_label)"
    )
    store.upsert_posts(
        [post(i) for i in range(12)],
        [
            Triage(
                status=("new", "open", "resolved")[i % 3], assigned_to=AGENTS[i % 3], tags=("vip",) * (i % 2)
            )
            for i in range(12)
        ],
    )
    conn.execute("PRAGMA user_version = 31")
    store.close()
    conn = sqlite3.connect(path)
    assert migrate(conn) >= 32
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'posts_queue_counts'").fetchall()
    assert conn.execute("SELECT SUM(n) FROM queue_tally").fetchone()[0] == 12
    assert conn.execute("SELECT SUM(n) FROM tag_tally WHERE tag = 'vip'").fetchone()[0] == 6
    assert conn.execute("SELECT IFNULL(SUM(n), 0) FROM tag_pairs").fetchone()[0] == 0
    assert_counts_agree(conn)
    assert vocabulary(conn).assignees == {"alice", "bob"}
    conn.close()


def test_the_backfill_rebuilds_what_the_triggers_keep(store: Store) -> None:
    store.upsert_posts([post(i) for i in range(9)], [Triage(intent="question", assigned_to="bob")] * 9)
    store.conn.execute("UPDATE posts SET status = 'resolved' WHERE id % 3 = 0")
    kept = store.conn.execute("SELECT * FROM queue_tally WHERE n != 0 ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
    store.conn.execute("DELETE FROM queue_tally")
    for statement in statements(BACKFILL):
        store.conn.execute(statement)
    assert store.conn.execute("SELECT * FROM queue_tally ORDER BY 1, 2, 3, 4, 5, 6").fetchall() == kept


def test_the_tag_tallys_backfill_rebuilds_what_its_triggers_keep(store: Store) -> None:
    store.upsert_posts([post(i) for i in range(9)], [Triage(tags=("refund", "vip"))] * 9)
    store.conn.execute("UPDATE posts SET status = 'resolved' WHERE id % 3 = 0")
    qq.remove_tag(store.conn, [1, 2], "vip")
    kept = store.conn.execute("SELECT * FROM tag_tally WHERE n != 0 ORDER BY 1, 2, 3, 4, 5, 6, 7").fetchall()
    store.conn.execute("DELETE FROM tag_tally")
    for statement in statements(tag_tally.BACKFILL):
        store.conn.execute(statement)
    assert store.conn.execute("SELECT * FROM tag_tally ORDER BY 1, 2, 3, 4, 5, 6, 7").fetchall() == kept


def test_a_queue_on_one_or_two_tags_is_counted_without_reading_a_post(store: Store) -> None:
    store.upsert_posts([post(i) for i in range(4)], [Triage(tags=("outage",))] * 4)
    store.upsert_posts([post(i) for i in range(4, 7)], [Triage(tags=("outage", "vip"))] * 3)
    store.upsert_posts([post(7)], [Triage(tags=("vip",), status="resolved")])
    for query, expected in (
        ("tag:outage is:open", 7),
        ("tag:outage,vip -status:resolved", 7),  # the three with both count once
        ("tag:vip,outage", 8),
        ("tag:vip,vip", 4),  # one tag named twice is one tag
    ):
        flt = INBOUND.and_(parse_query(query, agent="alice", now=NOW))
        counted = tag_tally.tally_count(flt.where, flt.params)
        assert counted is not None, query
        plan = store.conn.execute(f"EXPLAIN QUERY PLAN {counted[0]}", counted[1]).fetchall()
        assert not [r for r in plan if " posts" in r[-1] or "post_tags" in r[-1]], (query, plan)
        assert q.count(store.conn, flt) == posts_count(store.conn, flt) == expected, query
    # Three tags, or a tag and a clause the tallies cannot read, are counted from the posts.
    for query in ("tag:outage,vip,refund", "tag:outage network:x", "tag:outage tag:vip"):
        flt = parse_query(query, agent="alice", now=NOW)
        assert tag_tally.tally_count(flt.where, flt.params) is None, query
        assert q.count(store.conn, flt) == posts_count(store.conn, flt), query


def test_the_tag_pairs_backfill_rebuilds_what_their_triggers_keep(store: Store) -> None:
    store.upsert_posts([post(i) for i in range(9)], [Triage(tags=("refund", "vip", "outage"))] * 9)
    store.conn.execute("UPDATE posts SET status = 'resolved' WHERE id % 3 = 0")
    qq.remove_tag(store.conn, [1, 2], "vip")
    order = "ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
    kept = store.conn.execute(f"SELECT * FROM tag_pairs WHERE n != 0 {order}").fetchall()
    assert sum(r[-1] for r in kept) == 9 * 3 - 2 * 2
    store.conn.execute("DELETE FROM tag_pairs")
    for statement in statements(tag_pairs.BACKFILL):
        store.conn.execute(statement)
    assert store.conn.execute(f"SELECT * FROM tag_pairs {order}").fetchall() == kept
