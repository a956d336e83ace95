"""Storing a triaged batch resolves its authors from the identities triage's author facts read."""

from __future__ import annotations

from collections.abc import Callable

from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from socialdesk.store import Store

MakePost = Callable[..., Post]
# How resolving customers reads the identities of a batch's authors when nobody read them before.
IDENTITY_READ = "FROM identities WHERE network = "


def repeat_triager() -> Triager:
    rules = [{"name": "again", "repeat_customer": True, "tag": "repeat"}]
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": rules}), SlaSettings())


def customers_of(store: Store, posts: list[Post]) -> list[int]:
    rows = dict(store.conn.execute("SELECT native_id, customer_id FROM posts").fetchall())
    return [rows[p.native_id] for p in posts]


def test_a_triaged_batch_is_stored_without_reading_its_authors_again(
    store: Store, make_post: MakePost
) -> None:
    sam = make_post("where is my order?", author_id="sam", handle="sam")
    store.upsert_posts([sam])
    later = [
        make_post("still waiting", author_id="sam", handle="sam"),
        make_post("hi there", author_id="new1", handle="new1"),
        make_post("me again", author_id="new1", handle="new1"),
    ]
    statements: list[str] = []
    with store.transaction():
        triages = repeat_triager().triage_many(later, store)
        store.conn.set_trace_callback(statements.append)
        store.upsert_posts(later, triages)
        store.conn.set_trace_callback(None)
    assert [s for s in statements if "INSERT INTO posts" in s]  # the trace saw the batch stored
    assert not [s for s in statements if IDENTITY_READ in s]
    sam_customer, new1, again = customers_of(store, later)
    assert sam_customer == customers_of(store, [sam])[0] and new1 == again != sam_customer
    assert ["repeat" in t.tags for t in triages] == [True, False, True]


def test_a_write_between_triage_and_storing_has_the_authors_read_again(
    store: Store, make_post: MakePost
) -> None:
    """A write may have changed the identities (another of our accounts claimed one, a merge ...)."""
    sam = make_post("where is my order?", author_id="sam", handle="sam")
    other = make_post("hello", author_id="kim", handle="kim")
    store.upsert_posts([sam, other])
    kim_customer = customers_of(store, [other])[0]
    later = [make_post("still waiting", author_id="sam", handle="sam")]
    with store.transaction() as conn:
        triages = repeat_triager().triage_many(later, store)
        conn.execute("UPDATE identities SET customer_id = ? WHERE native_id = 'sam'", (kim_customer,))
        store.upsert_posts(later, triages)
    assert customers_of(store, later) == [kim_customer]


def test_authors_read_in_one_transaction_are_not_used_in_the_next(store: Store, make_post: MakePost) -> None:
    """Between two transactions another connection may write: what one read says nothing of the next."""
    sam = make_post("where is my order?", author_id="sam", handle="sam")
    other = make_post("hello", author_id="kim", handle="kim")
    store.upsert_posts([sam, other])
    kim_customer = customers_of(store, [other])[0]
    later = [make_post("still waiting", author_id="sam", handle="sam")]
    with store.transaction():
        triages = repeat_triager().triage_many(later, store)
    elsewhere = Store(store.path)
    with elsewhere.transaction() as conn:
        conn.execute("UPDATE identities SET customer_id = ? WHERE native_id = 'sam'", (kim_customer,))
    elsewhere.close()
    store.upsert_posts(later, triages)
    assert customers_of(store, later) == [kim_customer]
