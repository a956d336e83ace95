"""Refreshing a thread: follow-ups need a reply, the rest is context, gone posts are marked."""

from __future__ import annotations

from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Author, Post
from socialdesk.services.threads import refresh_thread
from socialdesk.store import Store
from socialdesk.store import queries as q

CUSTOMER = Author("c1", "@cust@other.example", "Cust")


class Thread(Connector):
    name = "mastodon"
    capabilities = Capabilities(max_length=500)

    def __init__(self, answer: FetchResult) -> None:
        super().__init__("support")
        self.answer = answer

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], cursor)

    def refresh_thread(self, native_id: str) -> FetchResult:
        return self.answer


def post(native_id: str, author: Author, at: float, **kw: object) -> Post:
    return Post(
        "mastodon", native_id, author, f"text {native_id}", at, account="support", conversation_id="1", **kw
    )


def test_follow_ups_need_a_reply_and_the_rest_is_context(store: Store) -> None:
    store.upsert_posts([post("1", CUSTOMER, 100.0), post("2", CUSTOMER, 150.0)])
    focus = q.get_post_by_native(store.conn, "mastodon", "2")
    assert focus is not None
    answer = FetchResult(
        [
            post("0", Author("b9", "@bystander@x.example", "B"), 50.0),  # an ancestor by someone else
            post("2", CUSTOMER, 150.0, edited_at=170.0),
            post("3", Author("me", "@acme@m.example", "Acme"), 160.0, is_ours=True, in_reply_to="2"),
            post("4", CUSTOMER, 180.0, in_reply_to="3"),  # the follow-up without the @-mention
        ],
        None,
        deleted=["1"],
    )
    refresh = refresh_thread(store, Thread(answer), focus)
    assert len(refresh.inserted) == 3 and refresh.updated == 1 and len(refresh.deleted) == 1
    rows = {n: q.get_post_by_native(store.conn, "mastodon", n) for n in "01234"}
    assert rows["4"].actionable and rows["4"].status == "new"  # type: ignore[union-attr]
    assert not rows["0"].actionable and rows["0"].status == "resolved"  # type: ignore[union-attr]
    assert rows["3"].is_ours and rows["3"].status == "resolved"  # type: ignore[union-attr]
    assert rows["2"].edited_at == 170.0  # type: ignore[union-attr]
    assert rows["1"].deleted_at is not None and not rows["1"].actionable  # type: ignore[union-attr]
