"""A team desk's cache filled from PostgreSQL by keyset on the feed's position, woken by NOTIFY."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from socialdesk.services import team_follow, team_replica
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store, team_cache
from socialdesk.team import claims, feed
from tests.team.desk_seed import add_post, add_reply
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def statuses(store: Store) -> dict[str, str]:
    return {n: s for n, s in store.conn.execute("SELECT native_id, status FROM posts WHERE is_ours = 0")}


def test_the_cache_gets_the_teams_posts_and_their_conversations_state(team_db: str, store: Store) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        first, _ = add_post(hub, "p1", thread_id="t1")
        add_post(hub, "p2", thread_id="t1", created_at=1_795_000_100.0)
        add_post(hub, "q1")
        pulled = team_replica.pull(hub, store)
        assert pulled.rows == {"agents": 1, "conversations": 2, "posts": 3}
        assert statuses(store) == {"p1": "new", "p2": "new", "q1": "new"}
        claims.claim(hub, first, "ann")
        claims.resolve(hub, first, "ann")
        again = team_replica.pull(hub, store)
        assert again.conversations == {("demo", "t1")}
        assert statuses(store) == {"p1": "resolved", "p2": "resolved", "q1": "new"}
        assert team_replica.pull(hub, store).rows == {}  # caught up: nothing read twice


def test_a_read_resumes_where_the_last_page_was_stored(
    team_db: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(team_replica, "PAGE", 2)
    with psycopg.connect(team_db, autocommit=True) as hub:
        for n in range(5):
            add_post(hub, f"p{n}", created_at=1_795_000_000.0 + n)
        team_replica.pull(hub, store, tables=("conversations",))
        assert team_cache.position(store.conn, "posts") == (0, 0)
        pulled = team_replica.pull(hub, store)
        assert pulled.rows["posts"] == 5
        assert len(pulled.new_post_ids) == 5


def test_claims_presence_and_replies_are_kept_for_the_marks(team_db: str, store: Store) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
        claims.claim(hub, conversation, "ann")
        from socialdesk.team import presence

        presence.mark(hub, "bob", conversation, "typing", 60)
        add_reply(hub, conversation, "bob", "We are on it")
        team_replica.pull(hub, store)
        now_row = hub.execute("SELECT team_now()").fetchone()
        assert now_row is not None
        mark = team_cache.mark(store.conn, conversation, float(now_row[0]), "carl")
        assert (mark.holder, mark.typing) == ("ann", ("bob",))
        assert mark.line("ann") == "Claimed by you · bob is typing a reply"
        others = team_cache.replies_since(store.conn, conversation, 0, "ann")
        assert others == [("bob", "queued", "We are on it")]


def test_every_desk_following_the_feed_sees_a_status_change(team_db: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent", cid="agent")
        conversation, _ = add_post(hub, "p1")
    stop = threading.Event()
    desks = [TeamDesk(team_db, Store(tmp_path / f"{name}.db"), name) for name in ("bob", "cid")]
    seen = {desk.agent: threading.Event() for desk in desks}
    online = {desk.agent: threading.Event() for desk in desks}

    def watcher(desk: TeamDesk) -> tuple:  # type: ignore[type-arg]
        def pulled(_: team_replica.Pulled) -> None:
            if statuses(desk.store).get("p1") == "resolved":
                seen[desk.agent].set()

        def link(state: team_follow.Link) -> None:
            if state.online:
                online[desk.agent].set()

        return pulled, link

    threads = [
        threading.Thread(target=team_follow.follow, args=(desk, stop, *watcher(desk)), daemon=True)
        for desk in desks
    ]
    for t in threads:
        t.start()
    try:
        assert all(e.wait(30) for e in online.values())
        with psycopg.connect(team_db, autocommit=True) as ann:
            claims.claim(ann, conversation, "ann")
            claims.resolve(ann, conversation, "ann")
        assert all(e.wait(30) for e in seen.values()), "a desk never saw the resolve"
    finally:
        stop.set()
        for t in threads:
            t.join(10)


def test_a_desk_woken_before_its_rows_are_readable_reads_them_once_the_older_transaction_ends(
    team_db: str, tmp_path: Path
) -> None:
    """The resolve notifies while an older transaction (one that notifies nothing) is still open: the
    desk cannot read the change yet, and must not go to sleep on it."""
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, _ = add_post(hub, "p1")
    stop = threading.Event()
    desk = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
    seen, online = threading.Event(), threading.Event()

    def pulled(_: team_replica.Pulled) -> None:
        if statuses(desk.store).get("p1") == "resolved":
            seen.set()

    def link(state: team_follow.Link) -> None:
        if state.online:
            online.set()

    follower = threading.Thread(target=team_follow.follow, args=(desk, stop, pulled, link), daemon=True)
    follower.start()
    try:
        assert online.wait(30)
        with psycopg.connect(team_db) as older, psycopg.connect(team_db, autocommit=True) as ann:
            older.execute("INSERT INTO cursors (source, cursor) VALUES ('slow', '1')")  # not in the feed
            claims.claim(ann, conversation, "ann")
            claims.resolve(ann, conversation, "ann")  # notifies the desk
            assert feed.pull(ann, "conversations", feed.START) == []  # held back behind `older`
            assert not seen.is_set()
            older.commit()  # notifies nothing
        assert seen.wait(30), "the desk went to sleep with the resolve unread"
    finally:
        stop.set()
        follower.join(10)
