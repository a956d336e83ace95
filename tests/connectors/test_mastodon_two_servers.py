"""Two of our accounts on two Mastodon servers: one status stored once, one brand, threads intact."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.models import ReplyState
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store, replies, reply_moves, thread_replies
from socialdesk.store import queries as q
from socialdesk.store.aliases import native_id_for
from socialdesk.testing import SECRET, Loopback
from tests.connectors.fake_mastodon_fetch import ME, FakeMastodonFetch, account


@pytest.fixture
def servers(loopback_server: Loopback) -> Iterator[tuple[FakeMastodonFetch, FakeMastodonFetch]]:
    """Our support account on one server (ME) and our sales account on another."""
    with Loopback() as other:
        now = time.time()
        support = FakeMastodonFetch(loopback_server, now)
        sales_me = {
            "id": "7",
            "username": "sales",
            "acct": "sales",
            "display_name": "Acme Sales",
            "url": f"{other.url}/@sales",
        }
        sales = FakeMastodonFetch(other, now, me=sales_me)
        sales._next += 40_000  # another server's ids: the same status gets a different one there
        yield support, sales


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache.db")


def source(fake: FakeMastodonFetch, name: str) -> Source:
    url = fake.server.url
    client = httpx.Client(base_url=url, timeout=httpx.Timeout(5.0))
    return Source(name, MastodonConnector(name, {"base_url": url}, SECRET, client))


def rows(store: Store, text: str) -> list[tuple[Any, ...]]:
    return store.conn.execute(
        "SELECT id, account, native_id, in_reply_to, conversation_id, is_ours, status, customer_id "
        "FROM posts WHERE text LIKE ? ORDER BY id",
        (f"%{text}%",),
    ).fetchall()


def test_a_status_both_accounts_see_is_stored_once_under_the_first_account(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    status = support.post(account(1), "my refund, again")
    copy = sales.federate(status)
    assert copy["id"] != status["id"] and copy["uri"] == status["uri"]
    assert sync_source(store, source(support, "support")).state == "ok"
    assert sync_source(store, source(sales, "sales")).state == "ok"
    [(post_id, account_, native_id, *_)] = rows(store, "my refund, again")
    assert (account_, native_id) == ("support", status["id"])  # the reply goes from support, with its id
    assert native_id_for(store.conn, post_id, "sales") == copy["id"]  # or from sales, with its own
    assert native_id_for(store.conn, post_id, "billing") is None
    assert sync_source(store, source(sales, "sales")).state == "ok"  # again: still one
    assert len(rows(store, "my refund, again")) == 1


def test_a_follow_up_only_the_second_account_sees_joins_the_thread(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    status = support.post(account(1), "parcel lost")
    copy = sales.federate(status)
    follow_up = dict(support.post(account(1), "hello?? anyone", mentions_us=False), uri="https://o.example/2")
    sales.federate(follow_up, reply_to=copy["id"])  # it mentions sales only
    sync_source(store, source(support, "support"))
    sync_source(store, source(sales, "sales"))
    [(root_id, *_)] = rows(store, "parcel lost")
    [(_, account_, _, in_reply_to, conversation, *_)] = rows(store, "hello?? anyone")
    assert account_ == "sales"
    assert in_reply_to == conversation == status["id"]  # the stored post's id, not sales' own
    thread = q.thread(store.conn, root_id)
    assert thread is not None and [r.text for r in thread.replies] == ["hello?? anyone"]


def test_the_second_accounts_earlier_posts_in_the_thread_point_at_the_stored_post(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    status = support.post(account(1), "broken zipper")
    copy = sales.federate(status, mentions_us=False)  # sales sees it later, through the thread
    follow_up = dict(support.post(account(1), "any news", mentions_us=False), uri="https://o.example/3")
    sales.federate(follow_up, reply_to=copy["id"])
    sync_source(store, source(sales, "sales"))  # the follow-up first, answering sales' own id
    sync_source(store, source(support, "support"))
    sales.notifications.append({**sales.notifications[-1], "id": "9" * 18, "status": copy})
    sync_source(store, source(sales, "sales"))  # now sales' copy of the root, under its own id
    assert len(rows(store, "broken zipper")) == 1
    [(_, _, _, in_reply_to, conversation, *_)] = rows(store, "any news")
    assert in_reply_to == conversation == status["id"]


def test_a_post_by_our_other_account_is_the_brands_not_a_customers(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    ours = sales.post(sales.me, "handing over to support", mentions_us=False)
    support.federate(ours)  # it mentions support
    customer = support.post(account(1), "still no answer")
    sync_source(store, source(sales, "sales"))  # sales' own identity is learned here
    sync_source(store, source(support, "support"))
    [(_, account_, _, _, _, is_ours, status, customer_id)] = rows(store, "handing over to support")
    assert account_ == "support" and is_ours == 1 and status == "resolved" and customer_id is None
    handles = {r[0] for r in store.conn.execute("SELECT handle FROM identities")}
    assert handles == {customer["account"]["acct"]}  # the brand is nobody's customer


def test_our_other_accounts_posts_stored_before_it_synced_become_the_brands(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    support.federate(sales.post(sales.me, "over to you, support", mentions_us=False))
    sync_source(store, source(support, "support"))  # sales has not synced yet: looks like a customer
    [(*_, is_ours, status, customer_id)] = rows(store, "over to you, support")
    assert (is_ours, status) == (0, "new") and customer_id is not None
    sync_source(store, source(sales, "sales"))
    [(*_, is_ours, status, customer_id)] = rows(store, "over to you, support")
    assert (is_ours, status, customer_id) == (1, "resolved", None)
    assert store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    assert ME["acct"] == "acme"


def test_our_reply_seen_by_our_other_account_is_shown_once_in_the_thread(
    servers: tuple[FakeMastodonFetch, FakeMastodonFetch], store: Store
) -> None:
    support, sales = servers
    status = support.post(account(1), "where is my refund")
    copy = sales.federate(status)  # the customer wrote to both of our accounts
    sync_source(store, source(support, "support"))
    sync_source(store, source(sales, "sales"))
    [(post_id, *_)] = rows(store, "where is my refund")
    ours = support.post(support.me, "refund sent today", reply_to=status["id"], mentions_us=False)
    with store.transaction() as conn:  # the desk sent it from support; the network answered
        [reply_id] = reply_moves.insert(
            conn, post_id, "mastodon", "support", [ours["content"]], ["k1"],
            state=ReplyState.QUEUED, agent="Ana", dm=False, group_key=None, send_after=None, now=1.0,
        )  # fmt: skip
        row = replies.get(conn, reply_id)
        assert row is not None and reply_moves.claim(conn, row, 2.0)
        assert reply_moves.mark_sent(conn, row, ours["id"], ours["url"], {}, 3.0)
    assert list(thread_replies.in_threads(store.conn, [post_id])) == [post_id]
    sales.federate(ours, reply_to=copy["id"])  # sales' server delivers our reply, under its own id
    sync_source(store, source(sales, "sales"))
    [(_, account_, _, in_reply_to, _, is_ours, *_)] = rows(store, "refund sent today")
    assert (account_, in_reply_to, is_ours) == ("sales", status["id"], 1)
    assert thread_replies.in_threads(store.conn, [post_id]) == {}  # the thread shows the post, not it again
