"""The team's post aliases on a real PostgreSQL: one status published through two accounts (by one hub
or two) is one post, and the statuses stored before team migration 12 are recorded from their payload."""

from __future__ import annotations

import json
import time
from typing import Any

import psycopg
import pytest

from socialdesk.bench.team_arrivals import new_post
from socialdesk.team import hub_leases, hub_posts
from socialdesk.team.hub_leases import Fenced
from socialdesk.team.schema import MIGRATIONS

pytestmark = pytest.mark.postgres
URI = "https://other.example/users/x/statuses/1"


def post(native_id: str, account: str, uri: str = "", **fields: Any) -> dict[str, Any]:
    """A Mastodon post as the hub's cache hands it to publish_page (store/hub_pages.py)."""
    return {
        **new_post("", 0, time.time()),
        "network": "mastodon",
        "native_id": native_id,
        "account": account,
        "author_native_id": "u1",
        "author_handle": "user1@other.example",
        "author_name": "User1",
        "text": f"my refund ({native_id})",
        "raw": json.dumps({"type": "mention", "status": {"id": native_id, "uri": uri}}),
        "due_at": None,
        "uri": uri,
        **fields,
    }


def rows(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT native_id, account, in_reply_to, thread_id, conversation_id, deleted_at IS NOT NULL "
        "FROM posts ORDER BY id"
    ).fetchall()


def test_two_hubs_leading_two_accounts_store_one_status_once(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as a, psycopg.connect(team_db, autocommit=True) as b:
        support = hub_leases.try_lead(a, "support", "hub-a")
        sales = hub_leases.try_lead(b, "sales", "hub-b")
        assert support is not None and sales is not None
        assert hub_posts.publish_page(a, support, [post("s1", "support", URI)], [], "c", 0).inserted == 1
        # hub-b's cache never saw support's copy: sales' id for the status, then a reply in its thread
        page = [
            post("c1", "sales", URI),
            post("c2", "sales", "https://o.example/2", in_reply_to="c1", conversation_id="c1"),
        ]
        assert hub_posts.publish_page(b, sales, page, [], "c", 0).inserted == 1
        [root, reply] = rows(a)
        assert root[:2] == ("s1", "support")
        assert reply[:4] == ("c2", "sales", "s1", "s1") and reply[4] == root[4]  # in the team's thread
        assert a.execute("SELECT count(*) FROM conversations").fetchone() == (1,)
        # sales' server deletes its copy: the team's post is marked deleted, as a solo desk does
        hub_posts.publish_page(b, sales, [], [("mastodon", "c1")], "c", 123.0)
        assert [r[5] for r in rows(a)] == [True, False]


def test_a_hub_that_lost_the_lead_records_no_alias(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as a, psycopg.connect(team_db, autocommit=True) as b:
        old = hub_leases.try_lead(a, "sales", "hub-a")
        assert old is not None
        hub_leases.release(a, old)
        assert hub_leases.try_lead(b, "sales", "hub-b") is not None
        with pytest.raises(Fenced):
            hub_posts.publish_page(a, old, [post("c1", "sales", URI)], [], "c", 0)
        assert b.execute("SELECT count(*) FROM post_uris").fetchone() == (0,)


def test_statuses_stored_before_migration_12_are_known_by_their_uri(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as db:
        with db.transaction():
            db.execute("CREATE TABLE team_schema (version integer NOT NULL)")
            for script in MIGRATIONS[:11]:
                db.execute(script.encode())
            db.execute("INSERT INTO team_schema (version) VALUES (11)")
        conversation = db.execute(
            "INSERT INTO conversations (network, key) VALUES ('mastodon', 's1') RETURNING id"
        )
        cid = conversation.fetchone()[0]  # type: ignore[index]
        stored = [
            ("s1", "support", json.dumps({"type": "mention", "status": {"id": "s1", "uri": URI}})),
            ("c1", "sales", json.dumps({"id": "c1", "uri": URI})),  # stored twice before: a search hit
            ("x1", "support", "not json"),
        ]
        for native_id, account, raw in stored:
            db.execute(
                "INSERT INTO posts (conversation_id, network, native_id, account, author_native_id, "
                "author_handle, text, created_at, fetched_at, raw) "
                "VALUES (%s, 'mastodon', %s, %s, 'u1', 'user1', 'hi', 0, 0, %s)",
                (cid, native_id, account, raw),
            )
        from socialdesk.team.migrate import migrate

        assert migrate(db)[1] >= 12
        assert db.execute("SELECT uri, native_id, account FROM post_uris").fetchall() == [
            (URI, "s1", "support")
        ]
        assert db.execute("SELECT native_id, account, uri FROM post_aliases").fetchall() == [
            ("c1", "sales", URI)
        ]
        lease = hub_leases.try_lead(db, "sales", "hub-a")
        assert lease is not None
        assert hub_posts.publish_page(db, lease, [post("c9", "sales", URI)], [], "c", 0).inserted == 0
        assert db.execute("SELECT count(*) FROM posts").fetchone() == (3,)


def test_two_hubs_publishing_one_status_at_once_agree_on_the_first(team_db: str) -> None:
    import threading

    with (
        psycopg.connect(team_db, autocommit=True) as a,
        psycopg.connect(team_db, autocommit=True) as b,
        psycopg.connect(team_db, autocommit=True) as watch,
    ):
        support = hub_leases.try_lead(a, "support", "hub-a")
        sales = hub_leases.try_lead(b, "sales", "hub-b")
        assert support is not None and sales is not None
        published: list[int] = []
        with a.transaction():  # hub-a's page is written, not yet committed ...
            hub_posts.publish_page(a, support, [post("s1", "support", URI)], [], "c", 0)
            racer = threading.Thread(
                target=lambda: published.append(
                    hub_posts.publish_page(b, sales, [post("c1", "sales", URI)], [], "c", 0).inserted
                )
            )
            racer.start()
            # ... and hub-b's page of the same status waits for it, on the uri
            for _ in range(1000):
                if watch.execute(
                    "SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                ).fetchone()[0]:  # type: ignore[index]
                    break
                watch.execute("SELECT pg_sleep(0.01)")
            else:
                raise AssertionError("hub-b did not wait for hub-a's page")
            assert not published
        racer.join(10)
        assert published == [0]
        assert [r[:2] for r in rows(a)] == [("s1", "support")]
        assert a.execute("SELECT native_id, account FROM post_aliases").fetchall() == [("c1", "sales")]
