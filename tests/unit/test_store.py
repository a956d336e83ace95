"""The cache: idempotent upserts, keyset pages, FTS, threads, customers and migrations."""

from __future__ import annotations

import sqlite3

import pytest

from socialdesk.models import Author, Post
from socialdesk.store import Store, Triage, identities
from socialdesk.store import queries as q
from socialdesk.store.migrate import SchemaTooNew, migrate
from socialdesk.store.schema import SCHEMA_VERSION


def make_post(i: int, network: str = "x", author: str = "a1", text: str | None = None, **kw: object) -> Post:
    return Post(
        network=network,
        native_id=f"{network}-{i}",
        author=Author(author, f"user_{author}", f"User {author}"),
        text=text if text is not None else f"post number {i} about delivery",
        created_at=1000.0 + i,
        **kw,
    )


def test_resync_never_duplicates_and_keeps_triage_state(store: Store) -> None:
    posts = [make_post(i) for i in range(10)]
    first = store.upsert_posts(posts, [Triage(priority=2)] * 10)
    assert len(first.inserted) == 10
    store.conn.execute("UPDATE posts SET status = 'resolved' WHERE native_id = 'x-3'")
    edited = [make_post(i, text="edited") for i in range(10)]
    second = store.upsert_posts(edited)
    assert second.inserted == [] and second.updated == 10
    assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 10
    row = q.get_post_by_native(store.conn, "x", "x-3")
    assert row is not None and row.text == "edited" and row.status == "resolved" and row.priority == 2


def test_a_batch_mixing_stored_and_new_posts_tags_and_notifies_only_the_new(store: Store) -> None:
    stored = store.upsert_posts([make_post(i) for i in range(3)], [Triage(tags=("old",))] * 3)
    again = Triage(tags=("new",), notify=(("desk", "rule 'x'"),))
    # The newest stored post is delivered again: its id is the largest before the batch.
    batch = [make_post(7), make_post(2), make_post(5), make_post(7, text="edited")]
    result = store.upsert_posts(batch, [again] * 4)
    ids = dict(store.conn.execute("SELECT native_id, id FROM posts").fetchall())
    assert result.inserted == [ids["x-7"], ids["x-5"]] and result.updated == 1
    assert min(result.inserted) > max(stored.inserted)
    tags = store.conn.execute("SELECT p.native_id, t.tag FROM post_tags t JOIN posts p ON p.id = t.post_id")
    assert sorted(tags) == [("x-0", "old"), ("x-1", "old"), ("x-2", "old"), ("x-5", "new"), ("x-7", "new")]
    noticed = store.conn.execute("SELECT post_id FROM notifications ORDER BY post_id").fetchall()
    assert noticed == sorted([(ids["x-7"],), (ids["x-5"],)])


def test_each_new_post_of_a_batch_is_tagged_and_notified_under_its_own_id(store: Store) -> None:
    store.upsert_posts([make_post(i) for i in range(3)])
    batch = [make_post(9), make_post(4), make_post(6)]  # all new, not in id order of their native ids
    triages = [Triage(tags=(f"t{p.native_id}",), notify=(("desk", p.native_id),)) for p in batch]
    result = store.upsert_posts(batch, triages)
    ids = dict(store.conn.execute("SELECT native_id, id FROM posts").fetchall())
    assert result.inserted == [ids["x-9"], ids["x-4"], ids["x-6"]] and result.updated == 0
    tags = store.conn.execute("SELECT p.native_id, t.tag FROM post_tags t JOIN posts p ON p.id = t.post_id")
    assert sorted(tags) == [("x-4", "tx-4"), ("x-6", "tx-6"), ("x-9", "tx-9")]
    notices = store.conn.execute(
        "SELECT p.native_id, n.origin FROM notifications n JOIN posts p ON p.id = n.post_id"
    )
    assert sorted(notices) == [("x-4", "x-4"), ("x-6", "x-6"), ("x-9", "x-9")]


def test_a_post_twice_in_a_batch_is_stored_once_and_counted_new_once(store: Store) -> None:
    store.upsert_posts([make_post(1)])
    batch = [make_post(5), make_post(8), make_post(5, text="edited")]
    result = store.upsert_posts(batch, [Triage(tags=("a",)), Triage(tags=("b",)), Triage(tags=("c",))])
    ids = dict(store.conn.execute("SELECT native_id, id FROM posts").fetchall())
    assert result.inserted == [ids["x-5"], ids["x-8"]] and result.updated == 0
    tags = store.conn.execute("SELECT p.native_id, t.tag FROM post_tags t JOIN posts p ON p.id = t.post_id")
    assert sorted(tags) == [("x-5", "a"), ("x-5", "c"), ("x-8", "b")]


def test_our_replies_join_the_history_of_the_customer_they_answer(store: Store) -> None:
    store.upsert_posts([make_post(1, author="alice"), make_post(2, author="bob")])
    ours = [
        make_post(10, author="brand", is_ours=True, in_reply_to="x-2"),  # stored in an earlier batch
        make_post(11, author="brand", is_ours=True, in_reply_to="x-12"),  # in this batch, after it
        make_post(12, author="carol"),
        make_post(13, author="brand", is_ours=True, in_reply_to="x-404"),  # never stored
    ]
    store.upsert_posts(ours)
    customer = dict(store.conn.execute("SELECT native_id, customer_id FROM posts").fetchall())
    assert customer["x-10"] == customer["x-2"] != customer["x-1"]
    assert customer["x-11"] == customer["x-12"] is not None
    assert customer["x-13"] is None


def test_raw_payload_is_kept(store: Store) -> None:
    post = make_post(1)
    post.raw = {"id": "x-1", "html": "<p>hi</p>"}
    (post_id,) = store.upsert_posts([post]).inserted
    assert '"html": "<p>hi</p>"' in q.raw_payload(store.conn, post_id)


def test_keyset_pages_cover_the_feed_exactly_once(store: Store) -> None:
    # Equal timestamps force the id tie-breaker to matter.
    posts = [make_post(i) for i in range(250)]
    for p in posts[::3]:
        p.created_at = 1100.0
    store.upsert_posts(posts)
    expected = [r[0] for r in store.conn.execute("SELECT id FROM posts ORDER BY created_at DESC, id DESC")]
    seen: list[int] = []
    after = None
    while True:
        page = q.feed_page(store.conn, after=after, limit=37)
        seen += [r.id for r in page.rows]
        if not page.more:
            break
        after = q.key_of(page.rows[-1])
    assert seen == expected
    bottom = q.feed_page(store.conn, limit=10, oldest_first=True)
    assert [r.id for r in bottom.rows] == expected[-10:]


def test_paging_never_runs_offset(store: Store) -> None:
    store.upsert_posts([make_post(i) for i in range(50)])
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    page = q.feed_page(store.conn, limit=10)
    q.feed_page(store.conn, after=q.key_of(page.rows[-1]), limit=10)
    q.feed_page(store.conn, limit=10, oldest_first=True)
    q.search_page(store.conn, q.PostFilter(fts="delivery"), after=q.key_of(page.rows[-1]), limit=10)
    store.conn.set_trace_callback(None)
    assert statements and not [s for s in statements if " OFFSET " in s.upper()]


def test_fts_search_pages_newest_first(store: Store) -> None:
    store.upsert_posts(
        [make_post(i, text=f"refund request {i}" if i % 2 else f"hello {i}") for i in range(60)]
    )
    page = q.search_page(store.conn, q.PostFilter(fts="refund"), limit=20)
    assert len(page.rows) == 20 and page.more
    assert all("refund" in r.text for r in page.rows)
    ids = [r.id for r in page.rows]
    assert ids == sorted(ids, reverse=True)
    rest = q.search_page(store.conn, q.PostFilter(fts="refund"), after=q.key_of(page.rows[-1]), limit=20)
    assert not set(ids) & {r.id for r in rest.rows}
    assert q.count(store.conn, q.PostFilter(fts="refund")) == 30


def test_thread_has_ancestors_post_and_replies(store: Store) -> None:
    root = make_post(1, conversation_id="x-1")
    ours = make_post(2, author="brand", in_reply_to="x-1", conversation_id="x-1", is_ours=True)
    follow = make_post(3, in_reply_to="x-2", conversation_id="x-1")
    later = make_post(4, author="b", in_reply_to="x-3", conversation_id="x-1")
    store.upsert_posts([root, ours, follow, later])
    focus = q.get_post_by_native(store.conn, "x", "x-3")
    assert focus is not None
    thread = q.thread(store.conn, focus.id)
    assert thread is not None
    assert [p.native_id for p in thread.ancestors] == ["x-1", "x-2"]
    assert [p.native_id for p in thread.replies] == ["x-4"]
    assert thread.ancestors[1].is_ours


def test_customer_spans_networks_and_history_includes_our_replies(store: Store) -> None:
    on_x = Post("x", "x-1", Author("x-u1", "dana_smith", "Dana Smith", 120), "where is my order", 1000.0)
    on_masto = Post(
        "mastodon", "m-1", Author("m-u1", "dana_smith@mas.to", "Dana Smith", 80), "hello?", 2000.0
    )
    ours = Post(
        "x", "x-2", Author("brand", "brand", "Brand"), "sorry Dana!", 1500.0, in_reply_to="x-1", is_ours=True
    )
    stranger = Post("x", "x-3", Author("x-u2", "dana_smith2", "Dana Smythe"), "unrelated", 1200.0)
    store.upsert_posts([on_x, ours, on_masto, stranger])
    row = q.get_post_by_native(store.conn, "mastodon", "m-1")
    assert row is not None and row.customer_id is not None
    customer = q.customer(store.conn, row.customer_id)
    assert customer is not None
    assert {i.network for i in customer.identities} == {"x", "mastodon"}
    assert customer.followers == 120
    history = q.customer_history(store.conn, customer.id)
    assert [r.native_id for r in history.rows] == ["m-1", "x-2", "x-1"]
    assert history.rows[1].is_ours
    # Our own account never becomes a customer.
    assert store.conn.execute("SELECT COUNT(*) FROM identities WHERE native_id = 'brand'").fetchone()[0] == 0


def test_an_author_keeps_the_earliest_first_seen_and_the_newest_name(store: Store) -> None:
    # Pages are not always in time order (search results, backfills): newest first here.
    late = Post("x", "x-9", Author("x-u7", "kim_new", "Kim (new)"), "later", 3000.0)
    early = Post("x", "x-8", Author("x-u7", "kim_old", "Kim (old)"), "earlier", 1000.0)
    middle = Post("x", "x-7", Author("x-u7", "kim_mid", "Kim (mid)"), "middle", 2000.0)
    store.upsert_posts([late, early, middle])
    first_seen, handle, name = store.conn.execute(
        "SELECT first_seen, handle, display_name FROM identities WHERE native_id = 'x-u7'"
    ).fetchone()
    assert (first_seen, handle, name) == (1000.0, "kim_new", "Kim (new)")


def test_a_batch_says_which_posts_it_inserted_whether_or_not_it_reads_them_back(store: Store) -> None:
    read_back: list[str] = []
    store.conn.set_trace_callback(lambda sql: read_back.append(sql) if "WHERE id >" in sql else None)
    first = store.upsert_posts([make_post(i) for i in range(5)])  # all new: their ids are known
    assert first.inserted == [1, 2, 3, 4, 5] and first.updated == 0 and read_back == []
    store.conn.execute("DELETE FROM posts WHERE id = 5")  # the largest id is free again
    # New posts, a re-delivered one and one twice: the new ones are read back by rowid.
    batch = [make_post(10), make_post(2), make_post(11), make_post(10), make_post(12)]
    second = store.upsert_posts(batch)
    ids = dict(store.conn.execute("SELECT native_id, id FROM posts"))
    assert second.inserted == [ids["x-10"], ids["x-11"], ids["x-12"]] == [5, 6, 7]
    assert second.updated == 1 and len(read_back) == 1  # x-2 (x-10 twice is one new post)


def test_matching_new_authors_reads_the_name_index(store: Store) -> None:
    plan = store.conn.execute(f"EXPLAIN QUERY PLAN {identities._SAME_NAMES}", ('["Dana Smith"]',)).fetchall()
    assert any("identities_name" in str(row) for row in plan), plan
    assert not any("TEMP B-TREE" in str(row) for row in plan), plan


def test_new_authors_join_by_name_and_local_part_within_a_batch_and_across_batches(store: Store) -> None:
    def by(network: str, native_id: str, handle: str, name: str) -> Post:
        return Post(network, f"{native_id}-p", Author(native_id, handle, name), "hi", 1000.0)

    store.upsert_posts(
        [
            by("x", "x-1", "Jörg_Weber", "Jörg Weber"),
            by("mastodon", "m-1", "@jörg_weber@mas.to", "Jörg Weber"),  # joins x-1 (case of the ö too)
            by("x", "x-2", "jörg_weber2", "Jörg Weber"),  # same name, another local part: its own
            by("bluesky", "b-1", "joe.bsky.social", "Joe"),  # a local part under 4 characters: its own
            by("mastodon", "m-2", "@joe@mas.to", "Joe"),
        ]
    )
    store.upsert_posts([by("bluesky", "b-2", "JÖRG_WEBER.bsky.social", "Jörg Weber")])  # a later batch

    def customer(native_id: str) -> int:
        sql = "SELECT customer_id FROM identities WHERE native_id = ?"
        return int(store.conn.execute(sql, (native_id,)).fetchone()[0])

    assert customer("m-1") == customer("x-1") == customer("b-2")
    assert len({customer("x-1"), customer("x-2"), customer("b-1"), customer("m-2")}) == 4
    # Customers as SQLite numbers them, one per author not joined, named after that author.
    assert store.conn.execute("SELECT id, display_name FROM customers ORDER BY id").fetchall() == [
        (1, "Jörg Weber"),
        (2, "Jörg Weber"),
        (3, "Joe"),
        (4, "Joe"),
    ]


def test_cursor_and_quarantine_and_drafts(store: Store) -> None:
    assert store.get_cursor("acct") is None
    store.set_cursor("acct", "c1")
    store.set_cursor("acct", "c2")
    assert store.get_cursor("acct") == "c2"
    store.quarantine("acct", "bad json", "{oops")
    assert store.quarantine_counts() == {"acct": 1}
    (post_id,) = store.upsert_posts([make_post(1)]).inserted
    store.save_draft(post_id, "draft text")
    assert store.draft(post_id) == "draft text"
    store.save_draft(post_id, "  ")
    assert store.draft(post_id) == ""


def test_transaction_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_posts([make_post(1)])
        store.set_cursor("acct", "moved")
        raise RuntimeError("crash in the middle")
    assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    assert store.get_cursor("acct") is None


def test_schema_is_versioned_and_wal(store: Store) -> None:
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrating_again_is_a_no_op_and_keeps_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.db"
    s = Store(path)
    s.upsert_posts([make_post(1)])
    s.close()
    again = Store(path)
    assert again.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 1


def test_the_schema_version_counts_every_migration() -> None:
    from socialdesk.store import schema

    assert len(schema.migrations()) == SCHEMA_VERSION
    conn = sqlite3.connect(":memory:")
    assert migrate(conn) == SCHEMA_VERSION


def test_opening_a_current_cache_builds_no_migration(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from socialdesk.store import schema

    path = tmp_path / "c.db"
    Store(path).close()

    def built() -> list[str]:
        raise AssertionError("a current cache built the migrations' SQL")

    monkeypatch.setattr(schema, "migrations", built)
    assert Store(path).conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(tmp_path / "new.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew):
        migrate(conn)


def test_interrupted_migration_leaves_previous_version(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from socialdesk.store import schema

    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    migrate(conn)
    conn.execute("INSERT INTO cursors (source, stream, cursor, updated_at) VALUES ('a', '', 'c', 0)")
    extended = [*schema.migrations(), "CREATE TABLE extra (x); SELECT broken("]
    monkeypatch.setattr(schema, "migrations", lambda: extended)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(extended))
    with pytest.raises(sqlite3.Error):
        migrate(conn)
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT cursor FROM cursors").fetchone()[0] == "c"
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()


def test_an_edit_is_kept_with_its_time_and_never_forgotten_by_a_stale_copy(store: Store) -> None:
    store.upsert_posts([make_post(1)])
    assert q.get_post_by_native(store.conn, "x", "x-1").edited_at is None  # type: ignore[union-attr]
    store.upsert_posts([make_post(1, text="fixed typo", edited_at=2000.0)])
    row = q.get_post_by_native(store.conn, "x", "x-1")
    assert row is not None and row.text == "fixed typo" and row.edited_at == 2000.0
    store.upsert_posts([make_post(1, text="fixed typo")])  # a copy without the edit time
    assert q.get_post_by_native(store.conn, "x", "x-1").edited_at == 2000.0  # type: ignore[union-attr]


def test_deleted_posts_leave_needs_reply(store: Store) -> None:
    from socialdesk.services.queue import DEFAULT_QUEUES

    store.upsert_posts([make_post(1), make_post(2)])
    needs_reply = DEFAULT_QUEUES[0].filter("agent")
    assert q.count(store.conn, needs_reply) == 2
    assert store.mark_deleted("x", ["x-1", "x-9"], at=3000.0) == [
        q.get_post_by_native(store.conn, "x", "x-1").id  # type: ignore[union-attr]
    ]
    assert q.count(store.conn, needs_reply) == 1
    assert q.get_post_by_native(store.conn, "x", "x-1").deleted_at == 3000.0  # type: ignore[union-attr]


def test_every_index_on_posts_is_read_by_a_query_the_desk_runs(store: Store) -> None:
    # Each index costs disk (27 bytes a post for posts_queue) and a write per stored post. These are
    # the statements that read each: a new index needs one here, an index no statement reads goes.
    from socialdesk.store import metrics_rollup_schema as rs
    from socialdesk.store.queries import INBOUND, feed_page

    readers = {
        "posts_feed": "SELECT id FROM posts INDEXED BY posts_feed WHERE created_at >= 0",
        "posts_customer": "SELECT id FROM posts WHERE customer_id = 1 ORDER BY created_at DESC",
        "posts_conversation": "SELECT id FROM posts WHERE network = 'x' AND conversation_id = 'c'",
        "posts_parent": "SELECT id FROM posts WHERE network = 'x' AND in_reply_to = 'p'",
        "posts_queue_order": "SELECT id FROM posts INDEXED BY posts_queue_order ORDER BY queue_rank",
        "posts_due": "SELECT id FROM posts INDEXED BY posts_due WHERE status = 'new' AND due_at < 5",
        "posts_resolved_at": "SELECT id FROM posts INDEXED BY posts_resolved_at "
        "WHERE status = 'resolved' AND status_at IS NOT NULL AND status_at < 5",
        "posts_metrics": "SELECT count(*) FROM posts p INDEXED BY posts_metrics "
        "WHERE p.is_ours = 0 AND p.created_at >= 0",
        "posts_backlog": "SELECT count(*) FROM posts INDEXED BY posts_backlog "
        "WHERE status IN ('new', 'open', 'escalated') AND actionable = 1 AND is_ours = 0 AND created_at >= 0",
        "posts_sla_open": f"SELECT network, due_at FROM posts INDEXED BY posts_sla_open "
        f"WHERE created_at > 5 AND {rs.SLA_OPEN}",
        "posts_response_fine": f"SELECT count(*) FROM posts INDEXED BY posts_response_fine "
        f"WHERE {rs.RESPONSE_FINE} = 3244 AND network = 'x' AND created_at > 5 AND {rs.ANSWERED}",
    }
    indexes = {
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' AND sql IS NOT NULL"
        )
    }
    assert indexes == set(readers)
    for name, sql in readers.items():
        plan = " ".join(r[-1] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert name in plan, (name, plan)
    feed_page(store.conn, INBOUND, limit=5)  # the feed still reads its page without posts_queue
