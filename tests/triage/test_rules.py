"""The rule engine: conditions, actions, validation, SLA due times and batch author lookups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.rules import Triager
from socialdesk.store import Store

MakePost = Callable[..., Post]


def triager(*rules: dict[str, object], **sections: object) -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": list(rules), **sections}), SlaSettings())


def test_outage_rule_tags_raises_priority_routes_and_suggests(make_post: MakePost) -> None:
    t = triager(
        {
            "name": "outage",
            "keywords": ["is down", "outage"],
            "tag": "outage",
            "priority": 3,
            "queue": "outages",
            "suggest": "outage-ack",
            "assign": "dana",
        }
    )
    hit = t.triage(make_post("@brand the app is down again"))
    miss = t.triage(make_post("@brand where is the download link"))
    assert hit.priority == 3 and set(hit.tags) == {
        "outage",
        "queue:outages",
        "suggest:outage-ack",
        "assign:dana",
    }
    assert miss.priority == 1 and "outage" not in miss.tags


def test_keywords_and_regex_match_the_shadow_text(make_post: MakePost) -> None:
    t = triager(
        {"name": "phish", "keywords": ["paypal"], "tag": "phishing"},
        {"name": "order", "regex": r"#\d{5}\b", "tag": "has-order"},
    )
    assert "phishing" in t.triage(make_post("send it to my pay\u200bpal")).tags
    assert "phishing" in t.triage(make_post("ＰＡＹＰＡＬ please")).tags
    assert "phishing" not in t.triage(make_post("paypals")).tags  # whole words only
    assert "has-order" in t.triage(make_post("order #12345 is late")).tags


def test_conditions_on_network_account_lang_sentiment_intent_followers(make_post: MakePost) -> None:
    t = triager(
        {
            "name": "big angry on x",
            "network": "x",
            "account": ["brand"],
            "lang": "en",
            "sentiment": "negative",
            "intent": ["complaint"],
            "followers_min": 10_000,
            "followers_max": 5_000_000,
            "tag": "influencer",
            "priority": 2,
        }
    )
    angry = "my order never arrived, terrible"
    assert "influencer" in t.triage(make_post(angry, followers=50_000, lang="en-GB")).tags
    assert "influencer" not in t.triage(make_post(angry, followers=50)).tags
    assert "influencer" not in t.triage(make_post(angry, followers=50_000, network="mastodon")).tags
    assert "influencer" not in t.triage(make_post(angry, followers=50_000, lang="de")).tags
    assert "influencer" not in t.triage(make_post("love it, thank you", followers=50_000)).tags
    assert "influencer" not in t.triage(make_post(angry, followers=9_000_000)).tags


def test_priority_is_the_highest_set_and_actionable_the_last_say(make_post: MakePost) -> None:
    t = triager(
        {"name": "low praise", "intent": "praise", "priority": 0},
        {"name": "vip", "vip": True, "priority": 3},
        {"name": "mute", "keywords": ["giveaway"], "actionable": False},
    )
    assert t.triage(make_post("thank you so much")).priority == 0
    vip = t.triage(make_post("thank you so much", handle="bigstar"), None)
    assert vip.priority == 0  # not on the list: no VIP
    t_vip = triager(
        {"name": "low praise", "intent": "praise", "priority": 0},
        {"name": "vip", "vip": True, "priority": 3},
        vip={"x": ["@BigStar"]},
    )
    row = t_vip.triage(make_post("thank you so much", handle="bigstar"))
    assert row.priority == 3 and "vip" in row.tags
    muted = t.triage(make_post("how do I enter the giveaway?"))
    assert not muted.actionable and muted.due_at is None


def test_stop_ends_evaluation(make_post: MakePost) -> None:
    t = triager(
        {"name": "spam", "keywords": ["crypto"], "actionable": False, "stop": True},
        {"name": "all", "tag": "seen"},
    )
    assert "seen" not in t.triage(make_post("crypto tips")).tags
    assert "seen" in t.triage(make_post("hello")).tags


def test_due_at_follows_the_sla_of_the_priority(make_post: MakePost) -> None:
    t = triager({"name": "urgent", "keywords": ["outage"], "priority": 3})
    post = make_post("outage in leeds")
    assert t.triage(post).due_at == post.created_at + 15 * 60
    normal = make_post("how do I pay?")
    assert t.triage(normal).due_at == normal.created_at + 240 * 60


def test_repeat_customer_uses_one_lookup_per_batch(store: Store, make_post: MakePost) -> None:
    t = triager({"name": "again", "repeat_customer": True, "tag": "repeat"})
    first = make_post("where is my order?", author_id="sam", handle="sam")
    store.upsert_posts([first])
    later = [
        make_post("still waiting", author_id="sam", handle="sam"),
        make_post("hi there", author_id="new1", handle="new1"),
        make_post("hello again", author_id="new2", handle="new2"),
        make_post("me again", author_id="new2", handle="new2"),
    ]
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    result = t.triage_many(later, store)
    store.conn.set_trace_callback(None)
    assert ["repeat" in r.tags for r in result] == [True, False, False, True]
    assert len(statements) == 1  # one query for the whole batch


def test_vip_flag_in_cache_counts(store: Store, make_post: MakePost) -> None:
    t = triager({"name": "vip", "vip": True, "priority": 3})
    post = make_post("hello", author_id="star", handle="star")
    store.upsert_posts([post])
    store.conn.execute("UPDATE customers SET vip = 1")
    assert t.triage_many([make_post("hi", author_id="star", handle="star")], store)[0].priority == 3


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "a", "colour": "red"}, "rule 'a': unknown key 'colour'"),
        ({"name": "a", "priority": 7}, "priority must be 0 (low) to 3 (urgent)"),
        ({"name": "a", "priority": "high"}, "priority must be a whole number"),
        ({"name": "a", "sentiment": "angry"}, "unknown value 'angry'"),
        ({"name": "a", "intent": ["rant"]}, "unknown value 'rant'"),
        ({"name": "a", "regex": "(unclosed"}, "not a valid regular expression"),
        ({"name": "a", "vip": "yes"}, "vip must be true or false"),
        ({"name": "a", "queue": "two words"}, "must be a single word"),
        ({"name": "a", "keywords": 3}, "keywords must be a string or a list of strings"),
        ({"name": "a", "tag": "two words"}, "must be one word"),
    ],
)
def test_validation_names_file_and_rule(rule: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=r"pb\.toml") as err:
        triager(rule)
    assert message in str(err.value)


def test_suggest_must_name_a_macro_when_macros_are_named() -> None:
    with pytest.raises(UserError, match="no \\[\\[macro\\]\\] named 'nope'"):
        triager({"name": "a", "suggest": "nope"}, macro=[{"name": "outage-ack", "text": "..."}])
    triager({"name": "a", "suggest": "outage-ack"}, macro=[{"name": "outage-ack", "text": "..."}])


def test_duplicate_rule_names_are_rejected() -> None:
    with pytest.raises(UserError, match="two rules are named 'a'"):
        triager({"name": "a"}, {"name": "a"})


def test_bundled_sample_playbook_loads(make_post: MakePost) -> None:
    t = Triager.from_playbook(load_playbook(None))
    outage = t.triage(make_post("@brightbasket app is down again, can't log in"))
    assert outage.priority == 3 and "outage" in outage.tags
    spam = t.triage(make_post("Earn $$$ from home, DM me for crypto signals"))
    assert not spam.actionable


def test_sample_playbook_file_is_valid_toml(tmp_path: Path) -> None:
    from socialdesk.services.playbook import sample_path

    assert sample_path().exists()


def test_auto_assign_sets_the_assignee_when_stored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from socialdesk.models import Author, Post
    from socialdesk.services.playbook import PlaybookFile
    from socialdesk.services.rules import Triager
    from socialdesk.store import Store

    playbook = PlaybookFile(
        "t.toml", {"rule": [{"name": "billing", "keywords": ["refund"], "assign": "dana"}]}
    )
    triager = Triager.from_playbook(playbook)
    store = Store(tmp_path / "c.db")
    posts = [
        Post("x", "1", Author("a", "a"), "where is my refund", 1.0),
        Post("x", "2", Author("b", "b"), "hi", 2.0),
    ]
    store.upsert_posts(posts, triager.triage_many(posts, store))
    rows = dict(store.conn.execute("SELECT native_id, assigned_to FROM posts"))
    assert rows == {"1": "dana", "2": ""}
