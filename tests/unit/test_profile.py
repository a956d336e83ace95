"""Customer profile fields: checked before saving, audited, searchable; the CRM link is built safely."""

from __future__ import annotations

import json

import pytest

from socialdesk.config import parse
from socialdesk.errors import UserError
from socialdesk.models import Author, Post
from socialdesk.services import profile
from socialdesk.services.query import parse_query
from socialdesk.store import Store, customer_fields
from socialdesk.store.queries import feed_page


def test_check_trims_and_refuses_what_is_not_a_field_value() -> None:
    assert profile.check({"email": "  ana@example.org ", "order": "A-1"}) == {
        "email": "ana@example.org",
        "order": "A-1",
    }
    with pytest.raises(UserError, match="not an e-mail address"):
        profile.check({"email": "ana at example"})
    with pytest.raises(UserError, match="control characters"):
        profile.check({"order": "1\x1b[31m2"})
    with pytest.raises(UserError, match="64 characters at most"):
        profile.check({"order": "9" * 65})
    with pytest.raises(UserError, match="Unknown customer field"):
        profile.check({"phone": "1"})


def test_the_crm_link_encodes_values_and_needs_its_fields() -> None:
    template = "https://crm.example.com/c/{crm_id}?mail={email}"
    fields = {"crm_id": "../admin", "email": "a+b@example.org"}
    assert (
        profile.crm_link(template, fields, "ana", 7)
        == "https://crm.example.com/c/..%2Fadmin?mail=a%2Bb%40example.org"
    )
    assert profile.crm_link(template, {"crm_id": "42"}, "ana", 7) == ""  # no e-mail yet
    assert profile.crm_link("", fields, "ana", 7) == ""
    assert profile.crm_link("https://crm.example.com/?h={handle}&id={customer}", {}, "ana", 7).endswith(
        "h=ana&id=7"
    )


@pytest.mark.parametrize(
    ("link", "error"),
    [
        ("ftp://crm/{crm_id}", "must start with https://"),
        ("https://crm/{phone}", "unknown placeholder {phone}"),
        ("https://crm/{crm_id", "customers.crm_link:"),
    ],
)
def test_the_config_refuses_a_bad_crm_link(link: str, error: str) -> None:
    with pytest.raises(UserError, match=error.replace("{", r"\{").replace("}", r"\}")):
        parse({"customers": {"crm_link": link}}, "c.toml")
    assert parse({"customers": {"crm_link": "https://crm/{crm_id}"}}, "c.toml").customers.crm_link


def test_saving_audits_what_changed_and_search_finds_the_customer(store: Store) -> None:
    store.upsert_posts(
        [
            Post("x", "1", Author("a", "ana"), "where is my parcel", 1.0),
            Post("mastodon", "2", Author("b", "bob@m.example"), "hello", 2.0),
        ]
    )
    ana = store.conn.execute("SELECT customer_id FROM posts WHERE native_id = '1'").fetchone()[0]
    assert profile.save(store, "Ana", ana, {"email": "Ana@Example.org", "order": "48213"}) == {
        "email": "Ana@Example.org",
        "order": "48213",
    }
    assert profile.save(store, "Ana", ana, {"email": "Ana@Example.org", "order": ""}) == {"order": ""}
    assert customer_fields.read(store.conn, ana) == {"email": "Ana@Example.org"}
    rows = store.conn.execute("SELECT agent, detail FROM audit WHERE action = 'customer.fields'").fetchall()
    assert [(agent, json.loads(detail)["changed"]) for agent, detail in rows] == [
        ("Ana", {"email": "Ana@Example.org", "order": "48213"}),
        ("Ana", {"order": ""}),
    ]
    found = feed_page(store.conn, parse_query("email:ana@example.org")).rows
    assert [r.native_id for r in found] == ["1"]
    assert feed_page(store.conn, parse_query("order:48213")).rows == []
