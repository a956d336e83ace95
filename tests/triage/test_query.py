"""The search query language: fields, phrases, negation, dates, safe FTS, and malformed input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.models import Post
from socialdesk.services.query import QueryError, Vocabulary, parse_query
from socialdesk.store import Store
from socialdesk.store.queries import count, feed_page
from socialdesk.store.vocabulary import vocabulary
from tests.triage.conftest import NOW

MakePost = Callable[..., Post]


@pytest.fixture
def seeded(store: Store, make_post: MakePost) -> Store:
    posts = [
        make_post("my refund never arrived", handle="sam", created_at=NOW - 86400 * 10),
        make_post(
            "refund please, charged twice",
            handle="@Priya@mastodon.social",
            network="mastodon",
            created_at=NOW - 3600,
        ),
        make_post("love the new app", handle="alex", created_at=NOW - 60),
        make_post('he said "AND" NOT OR* NEAR(x) -- weird', handle="odd", created_at=NOW - 30),
    ]
    store.upsert_posts(posts)
    store.conn.execute("INSERT INTO post_tags (post_id, tag) VALUES (1, 'vip')")
    store.conn.execute("UPDATE posts SET status = 'resolved', assigned_to = 'ann' WHERE id = 2")
    return store


def ids(store: Store, query: str) -> list[int]:
    page = feed_page(store.conn, parse_query(query, agent="ann", now=NOW), limit=50)
    return sorted(r.id for r in page.rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("refund", [1, 2]),
        ("refund -charged", [1]),
        ('"charged twice"', [2]),
        ('"twice charged"', []),
        ("from:sam", [1]),
        ("from:@sam", [1]),
        ("from:priya", [2]),
        ("network:mastodon", [2]),
        ("tag:vip", [1]),
        ("-tag:vip", [2, 3, 4]),
        ("status:resolved", [2]),
        ("status:new,open", [1, 3, 4]),
        ("-status:resolved refund", [1]),
        ("assigned:me", [2]),
        ("assigned:none", [1, 3, 4]),
        ("after:7d", [2, 3, 4]),
        ("before:7d", [1]),
        ("after:2h before:1h", []),
        ("after:30m", [3, 4]),
        ("AND", [4]),
        ("NEAR(x)", [4]),
        ("OR*", [4]),
        ('"AND" NOT', [4]),
        ("is:open", [1, 3, 4]),
        ("", [1, 2, 3, 4]),
        ("refund & !!", [1, 2]),
        ("refund AND charged", [2]),
        ("refund OR love", [1, 2, 3]),
        ("love OR tag:vip", [1, 3]),
        ("network:mastodon OR from:alex", [2, 3]),
        ("refund -charged OR app", [1]),
        ("OR", [4]),
        ("and", [4]),
    ],
)
def test_queries_select_the_right_posts(seeded: Store, query: str, expected: list[int]) -> None:
    assert ids(seeded, query) == expected


def test_absolute_dates_are_local_days(seeded: Store) -> None:
    day = datetime.fromtimestamp(NOW - 86400 * 5).date().isoformat()
    flt = parse_query(f"before:{day}", now=NOW)
    assert flt.params == (datetime.fromisoformat(day).timestamp(),)
    assert ids(seeded, f"before:{day}") == [1]


def test_user_text_cannot_inject_sql_or_fts(seeded: Store) -> None:
    flt = parse_query("x' OR 1=1 -- tag:\"a' OR '1\"", now=NOW)
    assert all("1=1" not in w for w in flt.where)
    assert count(seeded.conn, flt) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unterminated', "unterminated quote"),
        ("colour:red", "unknown field 'colour:'"),
        ("status:lost", "status: unknown value 'lost'"),
        ("sentiment:angry", "unknown value 'angry'"),
        ("after:yesterday", "after: wants a date like 2026-11-20"),
        ("before:2026-13-45", "before: wants a date"),
        ("tag:", "tag: needs a value"),
        ("status:new,,open", "has an empty value"),
        ('"!!!"', "has no letters or digits"),
        ("priority:9", "priority: unknown value"),
        ("is:sleepy", "is: unknown value"),
        ("from:@", "from: needs a handle after the @"),
        ("((", "nothing to search for"),
        ("*", "nothing to search for"),
        ("^", "nothing to search for"),
        (":", "nothing to search for"),
        ("& !!", "nothing to search for"),
        ("refund OR", "OR needs a term on each side"),
        ("refund OR AND love", "AND needs a term on each side"),
    ],
)
def test_malformed_queries_explain_themselves(query: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(query)
    assert message in str(err.value)


KNOWN = Vocabulary(networks=frozenset({"x", "trustpilot"}), assignees=frozenset({"ann", "Dana"}))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("network:myspace", "network: unknown value 'myspace' (known: "),
        ("network:x,myspace", "network: unknown value 'myspace'"),
        ("assigned:bob", "assigned: unknown value 'bob' (known: me, none, "),
    ],
)
def test_unknown_values_of_open_fields_explain_themselves(query: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(query, agent="ann", known=KNOWN)
    assert message in str(err.value)
    assert "trustpilot" in str(err.value) or "Dana" in str(err.value)


def test_known_values_of_open_fields_are_accepted_in_any_case(seeded: Store) -> None:
    flt = parse_query("network:TrustPilot assigned:dana,me,none", agent="ann", known=KNOWN)
    assert "trustpilot" in flt.params and "Dana" in flt.params  # the stored spelling is searched
    parse_query("network:bluesky,mastodon", known=KNOWN)  # every network a connector declares


def test_the_caches_networks_and_assignees_are_the_vocabulary(seeded: Store) -> None:
    known = vocabulary(seeded.conn)
    assert known.networks == {"mastodon", "x"} and known.assignees == {"ann"}


def test_pasted_url_is_text() -> None:
    assert parse_query("https://example.com/x").fts == '"https://example.com/x"'


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"ab :-\",*()^{}'\\/#@+.é\u200b",
                "tag:",
                "status:",
                "from:",
                "after:",
                "is:",
                "new",
                "7d",
                "NEAR",
                "AND",
                "OR",
                "NOT",
            ]
        ),
        max_size=15,
    ).map("".join)
    | st.text(max_size=40)
)
def test_fuzz_only_query_errors_and_valid_sql(text: str) -> None:
    store = _FUZZ_STORE
    try:
        flt = parse_query(text, agent="ann", now=NOW)
    except QueryError:
        return
    count(store.conn, flt)  # compiles and runs: no sqlite3/FTS5 syntax error
    feed_page(store.conn, flt, limit=5)


_FUZZ_STORE = Store(":memory:")
