"""Time-based automations: no reply in N minutes, quiet resolved conversations close, snoozes wake.

Every test drives the app clock by hand: no sleeps, no wall clock.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from socialdesk.errors import UserError
from socialdesk.models import Agent, Author, Post
from socialdesk.services.automations import parse_automations, run_automations
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.playbook_check import check_playbook
from socialdesk.services.queue import QueueService
from socialdesk.store import Store, Triage
from socialdesk.store import automation_queries as aq
from socialdesk.store import queue_queries as qq
from socialdesk.store.queries import get_post
from tests.triage.conftest import NOW

MakePost = Callable[..., Post]
ROLES = ("supervisor", "marketing", "legal")


def automations(*tables: dict[str, object]) -> list:  # type: ignore[type-arg]
    return parse_automations(PlaybookFile("pb.toml", {"automation": list(tables)}), ROLES)


def store_posts(store: Store, posts: list[Post], priority: int = 1) -> list[int]:
    store.upsert_posts(posts, [Triage(priority=priority) for _ in posts])
    marks = ",".join("?" * len(posts))
    rows = store.conn.execute(
        f"SELECT id FROM posts WHERE native_id IN ({marks}) ORDER BY id", [p.native_id for p in posts]
    )
    return [r[0] for r in rows]


def row(store: Store, post_id: int):  # type: ignore[no-untyped-def]
    found = get_post(store.conn, post_id)
    assert found is not None
    return found


def audit(store: Store) -> list[tuple[str, str, int | None]]:
    return [(e.agent, e.action, e.post_id) for e in reversed(qq.audit_page(store.conn, limit=1000)[0])]


UNANSWERED = {
    "name": "unanswered 30m",
    "when": "unanswered",
    "after": "30m",
    "priority": 3,
    "notify": "desk",
    "escalate": "supervisor",
}


def test_no_reply_in_30_minutes_raises_priority_escalates_and_notifies_once(
    store: Store, make_post: MakePost
) -> None:
    first = make_post("where is my order?", created_at=NOW, conversation_id="c1", native_id="c1")
    follow_up = make_post("hello??", created_at=NOW + 60, conversation_id="c1", author=first.author)
    other = make_post("still waiting", created_at=NOW + 600)
    ids = store_posts(store, [first, follow_up, other])
    rules = automations(UNANSWERED)

    assert run_automations(store, rules, NOW + 29 * 60, ROLES).fired == []  # not yet
    report = run_automations(store, rules, NOW + 31 * 60, ROLES)
    assert [(f.post_id, f.did) for f in report.fired] == [
        (ids[0], "priority 3; escalated to supervisor; notified desk")
    ]
    assert [row(store, i).priority for i in ids] == [3, 3, 1]  # the whole conversation, not the other
    assert [row(store, i).status for i in ids] == ["escalated", "escalated", "new"]
    assert "escalated:supervisor" in row(store, ids[0]).tags
    notes = QueueService(store, Agent("ann")).notes(ids[0])
    assert notes[-1].agent == "automation" and "no reply in 30m" in notes[-1].text

    # Idempotent: the same clock again, or later, fires nothing more for that conversation.
    assert run_automations(store, rules, NOW + 31 * 60, ROLES).fired == []
    later = run_automations(store, rules, NOW + 45 * 60, ROLES)
    assert [f.post_id for f in later.fired] == [ids[2]]  # the other post's 30 minutes are up now
    assert run_automations(store, rules, NOW + 90 * 60, ROLES).fired == []
    assert [n.post_id for n in aq.notices_after(store.conn, 0, "ann")] == [ids[0], ids[2]]
    fired = [(agent, post) for agent, action, post in audit(store) if action == "automation"]
    assert fired == [("automation", ids[0]), ("automation", ids[2])]


def test_an_answered_pending_or_old_post_is_left_alone(store: Store, make_post: MakePost) -> None:
    answered = make_post("help", created_at=NOW, native_id="a1", conversation_id="a1")
    ours = make_post("on it", created_at=NOW + 120, in_reply_to="a1", conversation_id="a1", is_ours=True)
    pending = make_post("waiting on me", created_at=NOW)
    ancient = make_post("a month ago", created_at=NOW - 30 * 86400)
    ids = store_posts(store, [answered, ours, pending, ancient])
    QueueService(store, Agent("ann"), clock=lambda: NOW).pending([ids[2]])
    rules = automations({"name": "late", "when": "unanswered", "after": "30m", "notify": "desk"})
    assert run_automations(store, rules, NOW + 3600, ROLES).fired == []


def test_a_query_narrows_an_automation(store: Store, make_post: MakePost) -> None:
    ids = store_posts(
        store,
        [make_post("a", created_at=NOW, network="x"), make_post("b", created_at=NOW, network="mastodon")],
    )
    rules = automations(
        {"name": "x only", "when": "unanswered", "after": "10m", "query": "network:x", "priority": 2}
    )
    assert [f.post_id for f in run_automations(store, rules, NOW + 3600, ROLES).fired] == [ids[0]]


def test_resolved_conversations_close_after_quiet_days_and_stay_closed(
    store: Store, make_post: MakePost
) -> None:
    customer = Author("u-close", "closer")
    quiet = make_post(
        "thanks, all good", created_at=NOW, native_id="q1", conversation_id="q1", author=customer
    )
    talked_back = make_post("problem", created_at=NOW, native_id="t1", conversation_id="t1")
    ids = store_posts(store, [quiet, talked_back])
    agent = QueueService(store, Agent("ann"), clock=lambda: NOW + 3600)
    agent.resolve(ids)
    # The second customer wrote again after the resolution: that conversation is not quiet.
    (again,) = store_posts(store, [make_post("it broke again", created_at=NOW + 86400, conversation_id="t1")])
    rules = automations({"name": "close after 3d", "when": "resolved", "after": "3d", "close": True})

    assert run_automations(store, rules, NOW + 3600 + 3 * 86400 - 60, ROLES).fired == []
    report = run_automations(store, rules, NOW + 3600 + 3 * 86400 + 60, ROLES)
    assert [(f.post_id, f.did) for f in report.fired] == [(ids[0], "closed")]
    assert [row(store, i).status for i in (*ids, again)] == ["closed", "resolved", "new"]
    assert run_automations(store, rules, NOW + 30 * 86400, ROLES).fired == []

    # Closed is final: an agent cannot reopen it; the customer's next post in it is its own case.
    with pytest.raises(UserError, match="closed"):
        agent.reopen([ids[0]])
    (late,) = store_posts(
        store,
        [make_post("one more thing", created_at=NOW + 9 * 86400, conversation_id="q1", author=customer)],
    )
    agent.resolve([late])
    assert row(store, ids[0]).status == "closed" and row(store, late).status == "resolved"
    # status:resolved still finds a closed conversation (saved queues written before it existed).
    from socialdesk.services.query import parse_query
    from socialdesk.store.queries import feed_page

    found = feed_page(store.conn, parse_query("status:resolved")).rows
    assert ids[0] in {r.id for r in found}


def test_snoozed_posts_wake_in_the_same_pass(store: Store, make_post: MakePost) -> None:
    (pid,) = store_posts(store, [make_post("later please", created_at=NOW)])
    QueueService(store, Agent("ann"), clock=lambda: NOW).snooze([pid], 7200)
    assert run_automations(store, [], NOW + 7100, ROLES).woke == []
    assert run_automations(store, [], NOW + 7201, ROLES).woke == [pid]
    assert row(store, pid).status == "open"


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (
            {"name": "a", "when": "later", "after": "1h", "notify": "desk"},
            "pb.toml: automation 'a': when must be one of unanswered, resolved, got 'later'",
        ),
        (
            {"name": "a", "when": "unanswered", "after": "soon", "notify": "desk"},
            "pb.toml: automation 'a': after: a duration like 30m, 2h, 1d or 1w, not 'soon'",
        ),
        (
            {"name": "a", "when": "unanswered", "after": "1h"},
            "pb.toml: automation 'a' does nothing: give it priority, notify, escalate",
        ),
        (
            {"name": "a", "when": "resolved", "after": "3d", "priority": 3},
            "pb.toml: automation 'a': 'priority' does not apply when resolved (use close, notify)",
        ),
        (
            {"name": "a", "when": "unanswered", "after": "1h", "escalate": "boss"},
            "pb.toml: automation 'a': escalate: 'boss' is not an [escalation] role (roles: supervisor, ",
        ),
        (
            {"name": "a", "when": "unanswered", "after": "1h", "priority": 3, "query": "is:opne"},
            "pb.toml: automation 'a': query 'is:opne': is: unknown value 'opne'",
        ),
        (
            {"name": "a", "when": "unanswered", "after": "1h", "priorty": 3},
            "pb.toml: automation 'a': unknown key 'priorty'",
        ),
    ],
)
def test_playbook_check_gives_one_line_with_file_and_automation(table: dict[str, object], error: str) -> None:
    report = check_playbook(PlaybookFile("pb.toml", {"automation": [table]}))
    assert len(report.errors) == 1
    assert report.errors[0].startswith(error)
    assert "\n" not in report.errors[0]


def test_playbook_check_refuses_two_automations_with_one_name() -> None:
    table = {"name": "a", "when": "unanswered", "after": "1h", "notify": "desk"}
    report = check_playbook(PlaybookFile("pb.toml", {"automation": [table, table]}))
    assert report.errors == ["pb.toml: two automations are named 'a'"]


def test_rules_explain_says_what_an_automation_did_or_when_it_will(store: Store, make_post: MakePost) -> None:
    from socialdesk.services.automations import explain
    from socialdesk.services.rules import Triager
    from socialdesk.services.rules_explain import explain_stored

    ids = store_posts(
        store, [make_post("where is it?", created_at=NOW), make_post("sorted, thanks", created_at=NOW)]
    )
    QueueService(store, Agent("ann"), clock=lambda: NOW + 60).resolve([ids[1]])
    rules = automations(
        UNANSWERED, {"name": "close after 3d", "when": "resolved", "after": "3d", "close": True}
    )
    before = explain(store, rules, ids[0], NOW + 600)
    assert before[0].startswith("automation 'unanswered 30m' (no reply in 30m -> raise priority to 3, ")
    assert before[0].endswith(" if still unanswered") and "fires " in before[0]
    assert before[1].endswith("does not apply (not resolved, or the customer wrote since)")
    assert explain(store, rules, ids[1], NOW + 600)[1].endswith(" if the customer stays quiet")
    run_automations(store, rules, NOW + 1860, ROLES)
    lines = explain_stored(store, Triager(), ids[0], rules, NOW + 1900).lines()
    assert " fired " in lines[-2]
    assert lines[-2].endswith(f"for post {ids[0]}: priority 3; escalated to supervisor; notified desk")


def test_the_sample_playbooks_commented_automations_are_valid() -> None:
    from socialdesk.services.playbook import parse_playbook, sample_path

    text = sample_path().read_text(encoding="utf-8")
    block = text[text.index("# [[automation]]") :]
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines() if line.startswith("# "))
    report = check_playbook(parse_playbook(text + "\n" + uncommented, "sample"))
    assert report.ok, report.errors
    assert [a.name for a in parse_automations(parse_playbook(uncommented, "sample"), ROLES)] == [
        "urgent unanswered 15 minutes",
        "unanswered 2 hours",
        "close resolved after 3 quiet days",
    ]


def test_a_pass_limit_never_stalls_on_conversations_already_fired(store: Store, make_post: MakePost) -> None:
    posts = [
        make_post(f"post {i}", created_at=NOW + i, conversation_id=f"w{i}", native_id=f"w{i}")
        for i in range(3)
    ]
    second = make_post("anyone?", created_at=NOW + 10, conversation_id="w0", author=posts[0].author)
    ids = store_posts(store, [*posts, second])
    rules = automations({"name": "late", "when": "unanswered", "after": "30m", "notify": "desk"})
    first = run_automations(store, rules, NOW + 3600, ROLES, limit=2).fired
    assert [f.post_id for f in first] == ids[:2]
    # The next pass reaches the third conversation; the second post of the first one is not a new case.
    assert [f.post_id for f in run_automations(store, rules, NOW + 3600, ROLES, limit=2).fired] == [ids[2]]
    assert run_automations(store, rules, NOW + 3600, ROLES, limit=2).fired == []


def test_a_notify_only_resolved_automation_fires_once_per_resolution(
    store: Store, make_post: MakePost
) -> None:
    customer = Author("u-res", "resolved_one")
    ids = store_posts(
        store,
        [
            make_post("a", created_at=NOW, conversation_id="r1", native_id="r1", author=customer),
            make_post("b", created_at=NOW + 5, conversation_id="r1", author=customer),
            make_post("c", created_at=NOW, conversation_id="r2", native_id="r2"),
        ],
    )
    QueueService(store, Agent("ann"), clock=lambda: NOW + 60).resolve([ids[0], ids[2]])
    rules = automations({"name": "quiet", "when": "resolved", "after": "1d", "notify": "desk"})
    fired = run_automations(store, rules, NOW + 2 * 86400, ROLES, limit=1).fired
    fired += run_automations(store, rules, NOW + 2 * 86400, ROLES, limit=1).fired
    assert sorted(f.post_id for f in fired) == [ids[0], ids[2]]
    assert run_automations(store, rules, NOW + 3 * 86400, ROLES, limit=1).fired == []
    # Reopened and resolved again: a new resolution, so it may fire again once it is quiet.
    agent = QueueService(store, Agent("ann"), clock=lambda: NOW + 4 * 86400)
    agent.reopen([ids[2]])
    agent.resolve([ids[2]])
    assert run_automations(store, rules, NOW + 4 * 86400 + 3600, ROLES).fired == []
    assert [f.post_id for f in run_automations(store, rules, NOW + 6 * 86400, ROLES).fired] == [ids[2]]
