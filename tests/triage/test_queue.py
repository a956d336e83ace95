"""Working the queue: claim/next atomicity, statuses, bulk, notes, escalation, approval, SLA, keyset pages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from socialdesk.errors import UserError
from socialdesk.models import Agent, Post
from socialdesk.services.outbox import Outbox
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.query import parse_query
from socialdesk.services.queue import (
    DEFAULT_QUEUES,
    QueueService,
    SavedQueue,
    cycle,
    load_queues,
    needs_approval,
    sla_clock,
)
from socialdesk.store import PostFilter, Store, Triage
from socialdesk.store import queue_queries as qq
from socialdesk.store.queries import get_post
from tests.triage.conftest import NOW

MakePost = Callable[..., Post]


def service(store: Store, name: str = "ann", roles: tuple[str, ...] = ("agent",)) -> QueueService:
    return QueueService(store, Agent(name, roles=roles), clock=lambda: NOW)


def add(
    store: Store,
    posts: list[Post],
    priorities: list[int] | None = None,
    due: list[float | None] | None = None,
    actionable: list[bool] | None = None,
) -> list[int]:
    tri = [
        Triage(
            priority=(priorities or [1] * len(posts))[i],
            due_at=(due or [None] * len(posts))[i],
            actionable=(actionable or [True] * len(posts))[i],
        )
        for i in range(len(posts))
    ]
    store.upsert_posts(posts, tri)
    marks = ",".join("?" * len(posts))
    sql = f"SELECT id FROM posts WHERE native_id IN ({marks}) ORDER BY id"
    return [r[0] for r in store.conn.execute(sql, [p.native_id for p in posts])]


def audit_actions(store: Store) -> list[tuple[str, str, int | None]]:
    return [(e.agent, e.action, e.post_id) for e in reversed(qq.audit_page(store.conn, limit=1000)[0])]


def test_next_claims_highest_priority_then_soonest_due_then_oldest(store: Store, make_post: MakePost) -> None:
    ids = add(
        store,
        [
            make_post(created_at=NOW - 500),
            make_post(created_at=NOW - 400),
            make_post(created_at=NOW - 300),
            make_post(created_at=NOW - 200),
        ],
        priorities=[1, 2, 2, 3],
        due=[NOW, NOW + 50, NOW + 10, None],
        actionable=[True, True, True, False],
    )
    svc = service(store)
    claimed = [svc.claim_next() for _ in range(4)]
    # id 4 is urgent but not actionable; among priority 2 the one due sooner comes first.
    assert [c.id if c else None for c in claimed] == [ids[2], ids[1], ids[0], None]
    assert all(c.assigned_to == "ann" and c.status == "open" for c in claimed if c)
    assert audit_actions(store)[0] == ("ann", "claim", ids[2])


def test_claim_takes_the_whole_conversation(store: Store, make_post: MakePost) -> None:
    root = make_post("order late")
    follow = make_post("still waiting", conversation_id=root.native_id, in_reply_to=root.native_id)
    ours = make_post("sorry!", conversation_id=root.native_id, is_ours=True)
    ids = add(store, [root, follow, ours])
    svc = service(store)
    assert svc.claim_next() is not None
    rows = [get_post(store.conn, i) for i in ids]
    assert [(r.assigned_to, r.status) for r in rows if r] == [
        ("ann", "open"),
        ("ann", "open"),
        ("", "resolved"),
    ]
    assert svc.claim_next() is None


def test_two_agents_never_claim_the_same_conversation(tmp_path: Path, make_post: MakePost) -> None:
    path = tmp_path / "shared.db"
    store = Store(path)
    add(store, [make_post(f"post {i}") for i in range(40)])
    claims: dict[str, list[int]] = {"ann": [], "bob": [], "cy": []}
    barrier = threading.Barrier(3)

    def work(name: str) -> None:
        own = QueueService(Store(path), Agent(name))  # each agent: its own connection
        barrier.wait()
        while (row := own.claim_next()) is not None:
            claims[name].append(row.id)

    threads = [threading.Thread(target=work, args=(n,)) for n in claims]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for c in claims.values() for i in c]
    assert sorted(everything) == sorted(set(everything)) and len(everything) == 40
    owners = dict(store.conn.execute("SELECT id, assigned_to FROM posts"))
    assert all(owners[i] == name for name, c in claims.items() for i in c)


def test_resolve_and_next(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post(), make_post()])
    svc = service(store)
    first = svc.claim_next()
    assert first is not None and first.id == ids[0]
    nxt = svc.resolve_and_next(first.id)
    assert nxt is not None and nxt.id == ids[1]
    assert get_post(store.conn, ids[0]).status == "resolved"  # type: ignore[union-attr]
    assert svc.resolve_and_next(nxt.id) is None


def test_claim_respects_the_queue_filter(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post("hello", network="x"), make_post("hi", network="mastodon")])
    got = service(store).claim_next(parse_query("network:mastodon"))
    assert got is not None and got.id == ids[1]


def test_bulk_tag_assign_resolve_snooze_and_wake(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post() for _ in range(4)])
    svc = service(store)
    svc.tag(ids[:3], "billing")
    svc.assign(ids[:2], "bob")
    svc.resolve([ids[0]])
    svc.snooze(ids[1:3], 3600)
    rows = {i: get_post(store.conn, i) for i in ids}
    assert [rows[i].tags for i in ids] == [("billing",)] * 3 + [()]  # type: ignore[union-attr]
    assert [rows[i].assigned_to for i in ids] == ["bob", "bob", "", ""]  # type: ignore[union-attr]
    assert [rows[i].status for i in ids] == ["resolved", "snoozed", "snoozed", "new"]  # type: ignore[union-attr]
    assert rows[ids[1]].snoozed_until == NOW + 3600  # type: ignore[union-attr]
    later = QueueService(store, Agent("ann"), clock=lambda: NOW + 3601)
    assert sorted(later.wake_snoozed()) == ids[1:3]
    assert get_post(store.conn, ids[1]).status == "open"  # type: ignore[union-attr]
    actions = [a for _, a, _ in audit_actions(store)]
    assert actions.count("tag") == 3 and actions.count("status") == 3 and actions[-1] == "woke"


def test_every_status_change_is_audited_with_who(store: Store, make_post: MakePost) -> None:
    (pid,) = add(store, [make_post()])
    svc = service(store, "dana")
    svc.pending([pid])
    svc.reopen([pid])
    entries = qq.audit_page(store.conn)[0]
    assert [(e.agent, e.action, e.detail["status"]) for e in entries] == [
        ("dana", "status", "open"),
        ("dana", "status", "pending"),
    ]
    assert all(e.at == pytest.approx(NOW, abs=86400 * 365 * 50) for e in entries)


def test_notes_belong_to_the_conversation(store: Store, make_post: MakePost) -> None:
    root = make_post("order late")
    follow = make_post("still waiting", conversation_id=root.native_id)
    ids = add(store, [root, follow])
    svc = service(store)
    svc.note(ids[0], "customer called too, ticket 881")
    svc.note(ids[1], "refund approved by finance")
    assert [n.text for n in svc.notes(ids[1])] == [
        "customer called too, ticket 881",
        "refund approved by finance",
    ]
    with pytest.raises(UserError):
        svc.note(ids[0], "   ")
    assert store.conn.execute("SELECT COUNT(*) FROM replies").fetchone()[0] == 0  # notes are never replies


def test_escalation_sets_status_notes_and_requires_approval(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post("I will sue you"), make_post("hello")])
    svc = service(store)
    assert not needs_approval(store.conn, ids[0])
    svc.escalate(ids[0], "legal", "threatens legal action")
    row = get_post(store.conn, ids[0])
    assert row is not None and row.status == "escalated" and "escalated:legal" in row.tags
    assert svc.notes(ids[0])[0].text == "[escalated to legal] threatens legal action"
    assert needs_approval(store.conn, ids[0]) and not needs_approval(store.conn, ids[1])
    with pytest.raises(UserError, match="escalate to one of"):
        svc.escalate(ids[1], "ceo", "x")


def test_approver_queue_lists_replies_awaiting_approval(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post("I will sue you", handle="angry"), make_post("hello")])
    outbox = Outbox(store, resolve_connector=lambda network, account: None, clock=lambda: NOW)  # type: ignore[arg-type,return-value]
    held = outbox.enqueue(ids[0], "We're sorry, a manager will contact you.", "ann", needs_approval=True)
    outbox.enqueue(ids[1], "Hi!", "ann")
    svc = service(store)
    pending, more = svc.approvals()
    assert [(p.reply_id, p.author_handle, p.agent) for p in pending] == [
        (held[0], "angry", "ann")
    ] and not more
    outbox.approve(held[0], Agent("sup", roles=("agent", "approver")))
    assert svc.approvals()[0] == []


def test_corrections_stick_across_resync(store: Store, make_post: MakePost) -> None:
    post = make_post("my order never arrived")
    (pid,) = add(store, [post])
    svc = service(store)
    svc.correct(pid, sentiment_label="neutral", intent="question")
    store.upsert_posts([post], [Triage(sentiment_label="negative", intent="complaint")])
    row = get_post(store.conn, pid)
    assert row is not None and (row.sentiment_label, row.intent) == ("neutral", "question")
    assert store.conn.execute("SELECT corrected FROM posts WHERE id = ?", (pid,)).fetchone()[0] == 3
    with pytest.raises(UserError):
        svc.correct(pid, intent="rant")
    assert cycle("negative", ("negative", "neutral", "positive")) == "neutral"
    assert cycle("positive", ("negative", "neutral", "positive")) == "negative"
    assert cycle("", ("question", "complaint")) == "question"


def test_sla_clock_and_breaches(store: Store, make_post: MakePost) -> None:
    ids = add(store, [make_post(), make_post(), make_post()], due=[NOW - 600, NOW + 600, NOW - 60])
    svc = service(store)
    rows = [get_post(store.conn, i) for i in ids]
    clocks = [sla_clock(r, NOW) for r in rows if r]
    assert [c.text() if c else None for c in clocks] == ["10m overdue", "10m left", "1m overdue"]
    assert [c.level if c else None for c in clocks] == ["overdue", "warning", "overdue"]
    breached, more = svc.breaches()
    assert [r.id for r in breached] == [ids[0], ids[2]] and not more
    svc.resolve([ids[0]])
    assert [r.id for r in svc.breaches()[0]] == [ids[2]]
    assert sla_clock(get_post(store.conn, ids[0]), NOW) is None  # type: ignore[arg-type]


def test_keyset_queue_pages_cover_every_row_once_across_ties(store: Store, make_post: MakePost) -> None:
    # Many ties: 3 priorities x 2 due times x same created_at, so only the id breaks them.
    posts = [make_post(created_at=NOW - 100 * (i % 2)) for i in range(60)]
    priorities = [i % 3 for i in range(60)]
    due = [None if i % 4 == 0 else NOW + 60 * (i % 2) for i in range(60)]
    add(store, posts, priorities, due)
    svc = service(store)
    seen, key = [], None
    while True:
        page = svc.page(PostFilter(), key, limit=7)
        seen += page.rows
        key = page.key
        if not page.more:
            break
    assert len(seen) == 60 and len({r.id for r in seen}) == 60
    order = [(-r.priority, r.due_at if r.due_at is not None else 1e18, r.created_at, r.id) for r in seen]
    assert order == sorted(order)
    assert seen[0].priority == 2 and seen[-1].priority == 0


def test_queue_page_uses_the_index_range(store: Store) -> None:
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT p.id FROM posts p INDEXED BY posts_queue_order WHERE "
        "(p.queue_rank, p.queue_due, p.created_at, p.id) > (?, ?, ?, ?) "
        "ORDER BY p.queue_rank, p.queue_due, p.created_at, p.id LIMIT 5",
        (0, 0, 0, 0),
    ).fetchall()
    assert "SEARCH" in plan[0][3]


def test_saved_queue_counts(store: Store, make_post: MakePost) -> None:
    ids = add(
        store, [make_post("how do I pay?"), make_post("x"), make_post("y")], actionable=[True, True, False]
    )
    store.conn.execute("UPDATE posts SET intent = 'question' WHERE id = ?", (ids[0],))
    svc = service(store)
    svc.assign([ids[1]])
    counts = svc.counts(DEFAULT_QUEUES)
    assert (
        counts["Needs reply"] == 2 and counts["Questions"] == 1 and counts["Mine"] == 1 and counts["All"] == 3
    )


def test_load_queues_defaults_and_validation() -> None:
    assert load_queues(PlaybookFile("pb.toml", {})) == list(DEFAULT_QUEUES)
    custom = load_queues(PlaybookFile("pb.toml", {"queue": [{"name": "VIP", "key": 1, "query": "tag:vip"}]}))
    assert custom == [SavedQueue("VIP", 1, "tag:vip")]
    for bad, message in [
        ({"name": "A", "key": 10}, "key must be a number 1-9"),
        (
            {"name": "A", "key": 1, "query": "status:lost"},
            "queue 'A': query 'status:lost': status: unknown value",
        ),
        ({"name": "A", "key": 1, "colour": "red"}, "unknown key 'colour'"),
    ]:
        with pytest.raises(UserError, match=r"pb\.toml") as err:
            load_queues(PlaybookFile("pb.toml", {"queue": [bad]}))
        assert message in str(err.value)
    with pytest.raises(UserError, match="used twice"):
        load_queues(PlaybookFile("pb.toml", {"queue": [{"name": "A", "key": 1}, {"name": "B", "key": 1}]}))


def test_queue_pages_walk_up_from_the_bottom(store: Store, make_post: MakePost) -> None:
    add(store, [make_post(created_at=NOW - i) for i in range(25)], priorities=[i % 4 for i in range(25)])
    svc = service(store)
    top_down = []
    key = None
    while True:
        page = svc.page(PostFilter(), key, limit=6)
        top_down += [r.id for r in page.rows]
        key = page.key
        if not page.more:
            break
    bottom_up: list[int] = []
    after = None
    while True:
        page = qq.queue_page(store.conn, PostFilter(), after, limit=6, oldest_first=True)
        bottom_up = [r.id for r in page.rows] + bottom_up
        after = page.key
        if not page.more:
            break
    assert bottom_up == top_down and len(top_down) == 25
    last_shown = get_post(store.conn, top_down[10])
    assert [r.id for r in qq.queue_page(store.conn, PostFilter(), last_shown, 3).rows] == top_down[11:14]


def test_the_all_queue_is_the_all_the_desk_opens_on(store: Store, make_post: MakePost) -> None:
    from socialdesk.store.queries import INBOUND, count

    add(store, [make_post("where is my order?"), make_post("thanks!")], actionable=[True, False])
    store.upsert_posts([make_post("On its way!", is_ours=True)])  # our reply: in threads, not the queue
    counts = service(store).counts(DEFAULT_QUEUES)
    assert counts["All"] == count(store.conn, INBOUND) == 2
    assert count(store.conn, next(q for q in DEFAULT_QUEUES if q.name == "Mine").filter("ann")) == 0
