"""The shared playbook's [sla] (targets by condition, business hours with holidays) and [escalation] roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from socialdesk.config import SlaSettings
from socialdesk.errors import UserError
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.playbook_check import check_playbook
from socialdesk.services.queue import QueueService
from socialdesk.services.rules import Triager
from socialdesk.services.sla_policy import parse_escalation
from socialdesk.store import Store

MakePost = Callable[..., Post]
LONDON = dt.timezone(dt.timedelta(0))  # Europe/London in winter


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


def test_sla_targets_by_condition_and_on_business_hours_with_holidays(
    tmp_path: Path, make_post: MakePost
) -> None:
    path = tmp_path / "pb.toml"
    path.write_text(
        "[sla]\nnormal = 120\n"
        '[sla.hours]\ntimezone = "Europe/London"\nholidays = ["2026-12-25"]\n'
        '[sla.hours.days]\nweekdays = "09:00-17:00"\n'
        '[[sla.policy]]\nname = "VIPs"\nvip = true\nminutes = 30\n'
        '[[sla.policy]]\nname = "urgent on X"\nnetwork = "x"\npriority = 3\nminutes = 10\n'
        '[[rule]]\nname = "outage"\nkeywords = ["outage"]\npriority = 3\n'
        '[vip]\nx = ["@star"]\n',
        encoding="utf-8",
    )
    triager = Triager.from_playbook(load_playbook(path), SlaSettings(urgent=15))
    # Normal priority (120 min) at 16:30 on Thursday 24 Dec: 30 minutes that day; Friday 25th is a holiday
    # and the weekend is closed, so the other 90 minutes run from 09:00 on Monday 28th.
    post = make_post("how do I pay?", created_at=at("2026-12-24T16:30:00"))
    assert triager.triage(post).due_at == at("2026-12-28T10:30:00")
    # A VIP's target is the policy's 30 minutes, whatever the priority.
    vip = make_post("how do I pay?", handle="star", created_at=at("2026-12-22T10:00:00"))
    assert triager.triage(vip).due_at == at("2026-12-22T10:30:00")
    # Urgent on X: 10 minutes; urgent elsewhere: the [sla] section keeps the config's 15.
    urgent_x = make_post("outage", created_at=at("2026-12-22T10:00:00"))
    assert triager.triage(urgent_x).due_at == at("2026-12-22T10:10:00")
    urgent_mastodon = make_post("outage", network="mastodon", created_at=at("2026-12-22T10:00:00"))
    assert triager.triage(urgent_mastodon).due_at == at("2026-12-22T10:15:00")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"sla": {"urgnt": 5}}, "sla: unknown key 'urgnt'"),
        ({"sla": {"policy": [{"name": "v", "vip": True}]}}, "minutes must be a number above 0"),
        ({"sla": {"hours": {"timezone": "Mars/Olympus"}}}, "unknown time zone 'Mars/Olympus'"),
        ({"sla": {"hours": {"holidays": ["25/12"]}}}, "'25/12' is not a date"),
        ({"escalation": {"roles": []}}, "roles must be a non-empty list"),
        ({"escalation": {"roles": ["legal", "Legal"]}}, "a role is listed twice"),
    ],
)
def test_sla_and_escalation_errors_refuse_the_playbook(section: dict[str, object], message: str) -> None:
    report = check_playbook(PlaybookFile("pb.toml", section))
    assert any(message in e for e in report.errors), report.errors


def test_escalation_roles_come_from_the_playbook(store: Store, make_post: MakePost) -> None:
    from socialdesk.models import Agent

    roles = parse_escalation({"roles": ["supervisor", "duty-manager"]}, "pb.toml")
    store.upsert_posts([make_post("help")])
    service = QueueService(store, Agent("dana"))
    service.escalate(1, "duty-manager", "press enquiry", roles)
    tags = {r[0] for r in store.conn.execute("SELECT tag FROM post_tags WHERE post_id = 1")}
    assert "escalated:duty-manager" in tags
    with pytest.raises(UserError, match="escalate to one of supervisor, duty-manager, not 'legal'"):
        service.escalate(1, "legal", "x", roles)
    assert parse_escalation(None, "pb.toml") == ("supervisor", "marketing", "legal")
