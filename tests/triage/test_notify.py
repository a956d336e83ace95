"""The `notify` action: a rule or automation leaves a notice for the desk (or named agents), once."""

from __future__ import annotations

from collections.abc import Callable

from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services import notifications
from socialdesk.services.automations import parse_automations, run_automations
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.playbook_check import check_playbook
from socialdesk.services.rules import Triager
from socialdesk.store import Store
from tests.triage.conftest import NOW

MakePost = Callable[..., Post]

RULES = [
    {"name": "legal threat", "keywords": ["lawyer"], "tag": "legal", "notify": ["desk", "dana"]},
    {"name": "vip complaint", "keywords": ["lawyer", "refund"], "notify": "lee"},
]


def triager() -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": RULES}), SlaSettings())


def sync(store: Store, posts: list[Post]) -> None:
    store.upsert_posts(posts, triager().triage_many(posts, store))


def test_a_rule_notifies_its_audience_once_per_new_post(store: Store, make_post: MakePost) -> None:
    assert notifications.unseen(store, "dana") == []  # a desk's first look starts from now
    assert notifications.unseen(store, "lee") == []
    assert notifications.unseen(store, "kim") == []
    threat = make_post("my lawyer will hear about this \x1b[31mnow", handle="angry")
    sync(store, [threat, make_post("thanks, lovely service")])
    sync(store, [threat])  # delivered again by the next sync: no second notice
    dana = notifications.unseen(store, "dana")
    assert [(n.audience, n.origin) for n in dana] == [
        ("desk", "rule 'legal threat'"),
        ("dana", "rule 'legal threat'"),
    ]
    assert notifications.line(dana[0])[6:].startswith("rule 'legal threat': post ")
    assert "\x1b" not in notifications.line(dana[0]) and "@angry: my lawyer" in notifications.line(dana[0])
    assert [n.origin for n in notifications.unseen(store, "lee")] == [
        "rule 'legal threat'",
        "rule 'vip complaint'",
    ]
    assert [n.audience for n in notifications.unseen(store, "kim")] == ["desk"]  # not dana's or lee's
    assert notifications.unseen(store, "dana") == []  # shown once
    assert len(notifications.recent(store, "dana")) == 2  # still listed


def test_our_own_posts_raise_nothing(store: Store, make_post: MakePost) -> None:
    notifications.unseen(store, "dana")
    sync(store, [make_post("our lawyer says hi", is_ours=True)])
    assert notifications.unseen(store, "dana") == []


def test_an_automation_notifies(store: Store, make_post: MakePost) -> None:
    notifications.unseen(store, "kim")
    store.upsert_posts([make_post("hello?", created_at=NOW)])
    rules = parse_automations(
        PlaybookFile(
            "pb.toml",
            {"automation": [{"name": "late", "when": "unanswered", "after": "1h", "notify": "desk"}]},
        )
    )
    run_automations(store, rules, NOW + 7200)
    assert [n.origin for n in notifications.unseen(store, "kim")] == ["automation 'late'"]


def test_playbook_check_validates_notify() -> None:
    bad = check_playbook(
        PlaybookFile("pb.toml", {"rule": [{"name": "r", "keywords": ["x"], "notify": "the desk"}]})
    )
    assert bad.errors == [
        "pb.toml: rule 'r': notify must be \"desk\" (everyone at the desk) or agents' names, got 'the desk'"
    ]
    unknown = check_playbook(
        PlaybookFile("pb.toml", {"rule": [{"name": "r", "keywords": ["x"], "notify": "dnaa"}]}),
        agents={"dana"},
    )
    assert unknown.ok
    assert unknown.warnings == [
        "pb.toml: rule 'r' notifies 'dnaa', who is not a known agent (did you mean 'dana'?) "
        '("desk" tells everyone at the desk)'
    ]
