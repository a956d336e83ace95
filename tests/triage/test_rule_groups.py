"""Richer rules: ANY groups and NOT, conditions on the post's kind and time of day, actions on status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import TextStage, Triager

MakePost = Callable[..., Post]


def triager(*rules: dict[str, object], **sections: object) -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": list(rules), **sections}), SlaSettings())


def both_paths(t: Triager, post: Post) -> tuple[str, ...]:
    """The tags in-process and through the text stage a worker process runs: they must agree."""
    direct = t.triage(post).tags
    stage = TextStage(t.classifier, t.rules)
    via_worker = t.triage(post, None, stage.verdict(stage.fields(post))).tags
    assert direct == via_worker
    return direct


def test_any_group_and_not(make_post: MakePost) -> None:
    t = triager(
        {
            "name": "refund via dm or angry",
            "keywords": ["refund"],
            "any": [{"kind": "dm"}, {"sentiment": "negative", "followers_min": 1000}],
            "not": {"keywords": ["thanks"]},
            "tag": "money",
        }
    )
    assert "money" in both_paths(t, make_post("I want a refund", kind="dm"))
    assert "money" not in both_paths(t, make_post("I want a refund", kind="mention"))
    angry = "refund me now, this is terrible"
    assert "money" in both_paths(t, make_post(angry, followers=5000))
    assert "money" not in both_paths(t, make_post(angry, followers=10))
    assert "money" not in both_paths(t, make_post("refund arrived, thanks", kind="dm"))


def test_kind_and_time_of_day_in_the_playbooks_time_zone(make_post: MakePost) -> None:
    t = triager(
        {"name": "night dms", "kind": ["dm"], "time": "18:00-08:00", "tag": "night"},
        sla={"hours": {"timezone": "America/New_York"}},
    )
    ny = dt.timezone(dt.timedelta(hours=-5))  # New York in winter
    night = dt.datetime(2026, 12, 1, 22, 30, tzinfo=ny).timestamp()
    day = dt.datetime(2026, 12, 1, 12, 0, tzinfo=ny).timestamp()
    assert "night" in both_paths(t, make_post("hello?", kind="dm", created_at=night))
    assert "night" not in both_paths(t, make_post("hello?", kind="dm", created_at=day))
    assert "night" not in both_paths(t, make_post("hello?", kind="mention", created_at=night))


def test_actions_set_status_and_escalate(make_post: MakePost) -> None:
    t = triager(
        {"name": "press", "keywords": ["journalist"], "escalate": "marketing"},
        {"name": "thanks", "intent": "praise", "status": "resolved"},
    )
    press = t.triage(make_post("I am a journalist writing about you"))
    assert press.status == "escalated" and "escalated:marketing" in press.tags
    assert t.triage(make_post("thank you, brilliant service")).status == "resolved"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "a", "kind": "tweet"}, "unknown value 'tweet' (known: mention, reply, dm, search, feed)"),
        ({"name": "a", "time": "evening"}, "must be a daily window like"),
        ({"name": "a", "time": "25:00-08:00"}, "is not a time of day"),
        ({"name": "a", "any": [{"vip": True}]}, "'vip' cannot be in a group"),
        ({"name": "a", "not": {"tag": "x"}}, "'tag' cannot be in a group"),
        ({"name": "a", "any": []}, "must be a list of condition tables"),
        ({"name": "a", "status": "snoozed"}, "unknown status 'snoozed'"),
        ({"name": "a", "escalate": "ceo"}, "'ceo' is not an [escalation] role"),
    ],
)
def test_validation_of_the_new_keys(rule: dict[str, object], message: str) -> None:
    with pytest.raises(UserError) as err:
        triager(rule)
    assert message in str(err.value)
