"""The fast triage path (the text stage a worker runs, then the batch decision) decides exactly what plain
per-post evaluation (classify, then every rule's conditions) decides, on the bench's varied corpus."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pytest

from socialdesk.bench.measure import ReplayConnector, ingest_posts
from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.rule_match import AuthorFacts
from socialdesk.services.rules import TextStage, TriageContext, Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store, Triage

# Rules of every kind the text stage and the decision split between them: author conditions both
# ways, languages (detected when the network gave none), groups, stop, status, assignment, notices.
RICH_RULES: list[dict[str, object]] = [
    {
        "name": "spam",
        "intent": "other",
        "regex": [r"\bearn\b"],
        "tag": ["junk"],
        "actionable": False,
        "stop": True,
    },
    {
        "name": "new negative",
        "repeat_customer": False,
        "sentiment": "negative",
        "tag": ["first"],
        "priority": 2,
    },
    {"name": "repeat", "repeat_customer": True, "intent": ["complaint", "question"], "tag": ["repeat"]},
    {"name": "vip", "vip": True, "priority": 3, "notify": "desk", "assign": "sam"},
    {"name": "not vip praise", "vip": False, "intent": "praise", "tag": ["praise"], "priority": 0},
    {"name": "spanish", "lang": ["es"], "tag": ["es"], "assign": "ana"},
    {"name": "japanese or russian", "lang": ["ja", "ru"], "tag": ["intl"]},
    {
        "name": "orders by dm or loud",
        "keywords": ["order", "delivery"],
        "any": [{"kind": "dm"}, {"followers_min": 5000}],
        "not": {"keywords": ["thanks"]},
        "tag": ["orders"],
    },
    {"name": "outage", "keywords": ["down", "crashed", "error"], "escalate": "supervisor"},
    {
        "name": "replies on mastodon",
        "network": ["mastodon"],
        "kind": ["reply"],
        "status": "open",
        "stop": True,
    },
    {"name": "after a stop", "keywords": ["brightbasket"], "tag": ["brand"]},
]


@cache
def bench_posts() -> tuple[Post, ...]:
    """Posts as the bench syncs them: five networks, replies and DMs, several languages, our own posts."""
    return tuple(ingest_posts(1200, seed=11))


def vip_handles(posts: Sequence[Post]) -> frozenset[str]:
    handles = sorted({p.author.handle.lstrip("@").casefold() for p in posts if not p.is_ours})
    return frozenset(handles[::9])


def bundled() -> Triager:
    return Triager.from_playbook(load_playbook(None))


def rich() -> Triager:
    vips = {"any": sorted(vip_handles(bench_posts()))}
    return Triager.from_playbook(PlaybookFile("rich.toml", {"rule": RICH_RULES, "vip": vips}), SlaSettings())


Outcome = tuple[Triage, tuple[int, ...], int | None, bool]


def outcome(triager: Triager, post: Post, facts: AuthorFacts, verdict: object = None) -> Outcome:
    context = TriageContext(
        {(post.network, post.author.native_id): AuthorFacts(facts.prior_posts, facts.vip)}
    )
    d = triager.decide(post, context, verdict)  # type: ignore[arg-type]
    return d.triage, d.fired, d.stopped_by, d.classified_actionable


@pytest.mark.parametrize("make", [bundled, rich])
def test_the_text_stage_and_the_decision_match_plain_evaluation(make: object) -> None:
    triager = make()  # type: ignore[operator]
    posts = bench_posts()
    stage = TextStage(triager.classifier, triager.rules, triager.guesser)
    verdicts = stage.verdicts([stage.fields(p) for p in posts])
    cases = [AuthorFacts(0, False), AuthorFacts(2, False), AuthorFacts(0, True), AuthorFacts(1, True)]
    differ = []
    fired: set[int] = set()
    for post, verdict in zip(posts, verdicts, strict=True):
        for facts in cases:
            plain = outcome(triager, post, facts)
            fast = outcome(triager, post, facts, verdict)
            fired.update(plain[1])
            if plain != fast:
                differ.append((post.text, facts, plain, fast))
    assert not differ, f"{len(differ)} decisions differ, first: {differ[0]}"
    assert make is bundled or fired == set(range(len(triager.rules)))  # every rule is exercised


class TextStageFirst:
    """A TriageFn whose batches run the text stage first, as the worker does (here, in-process)."""

    def __init__(self, triager: Triager) -> None:
        self.triager = triager

    def __call__(self, posts: Sequence[Post], store: Store) -> list[Triage]:
        raise AssertionError("the sync engine uses batches()")

    def batches(self) -> TextStageFirst:
        return self

    def __enter__(self) -> TextStageFirst:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start(self, posts: Sequence[Post], more: bool = False) -> _Started:
        stage = self.triager._stage
        return _Started(self.triager, posts, stage.verdicts([stage.fields(p) for p in posts]))


class _Started:
    def __init__(self, triager: Triager, posts: Sequence[Post], verdicts: object) -> None:
        self.triager, self.posts, self.verdicts = triager, posts, verdicts

    def finish(self, store: Store) -> list[Triage]:
        return self.triager.triage_many(self.posts, store, verdicts=self.verdicts)  # type: ignore[arg-type]


def stored(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT native_id, status, priority, sentiment, sentiment_label, intent, actionable, due_at, "
        "assigned_to, (SELECT group_concat(tag) FROM (SELECT tag FROM post_tags t WHERE t.post_id = p.id "
        "ORDER BY tag)), (SELECT count(*) FROM notifications n WHERE n.post_id = p.id) "
        "FROM posts p ORDER BY id"
    ).fetchall()


@pytest.mark.parametrize("make", [bundled, rich])
def test_syncing_through_the_text_stage_stores_what_plain_triage_stores(tmp_path: Path, make: object) -> None:
    posts = list(bench_posts())
    plain_triager = make()  # type: ignore[operator]
    plain_triager.offload = False  # every page triaged per post, in-process
    plain = Store(tmp_path / "plain.db")
    fast = Store(tmp_path / "fast.db")
    for store, triage in ((plain, plain_triager.triage_many), (fast, TextStageFirst(make()))):  # type: ignore[operator]
        report = sync_source(store, Source("bench", ReplayConnector(posts, 100)), triage)  # type: ignore[arg-type]
        assert report.state == SourceState.OK and len(report.new_ids) == len(posts)
    assert stored(fast) == stored(plain)
    repeats = fast.conn.execute("SELECT count(*) FROM post_tags WHERE tag = 'repeat'").fetchone()[0]
    assert make is bundled or repeats > 0  # authors known from earlier pages count
