"""The dry run tells the truth: same answer as live, per-rule counts, changes against what is stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from socialdesk.commands.triage import dry_run
from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile, load_playbook
from socialdesk.services.rules import Triager
from socialdesk.store import Store

MakePost = Callable[..., Post]
COMPLAINT = "my order never arrived, terrible"


def stored_tag_count(store: Store, tag: str) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM post_tags WHERE tag = ?", (tag,)).fetchone()[0])


def test_a_post_is_not_its_own_earlier_post_same_answer_dry_or_live(
    store: Store, make_post: MakePost
) -> None:
    triager = Triager.from_playbook(load_playbook(None))
    # One customer complains three times; four others once each.
    posts = [make_post(f"{COMPLAINT} ({i})", author_id="sam", handle="sam") for i in range(3)]
    posts += [make_post(COMPLAINT, author_id=f"c{i}", handle=f"c{i}") for i in range(4)]
    # Live: two sync rounds, as they arrive.
    store.upsert_posts(posts[:4], triager.triage_many(posts[:4], store))
    store.upsert_posts(posts[4:], triager.triage_many(posts[4:], store))
    live = stored_tag_count(store, "repeat")
    assert live == 2  # sam's second and third complaints
    report = dry_run(store, triager, 0)
    assert report["tags"].get("repeat", 0) == live
    assert report["rules"]["repeat complaint"]["hits"] == live


def rules_playbook(*rules: dict[str, object]) -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": list(rules)}), SlaSettings())


def test_per_rule_hits_include_rules_that_set_no_tag_and_warn_about_rules_matching_nothing(
    store: Store, make_post: MakePost
) -> None:
    store.upsert_posts(
        [make_post("outage again"), make_post("outage now"), make_post("how do I enter the contest?")]
    )
    triager = rules_playbook(
        {"name": "urgent outage", "keywords": ["outage"], "priority": 3},  # no tag
        {"name": "mute contests", "keywords": ["contest"], "actionable": False},
        {"name": "never", "keywords": ["zeppelin"], "tag": "z"},
    )
    report = dry_run(store, triager, 0)
    rules = report["rules"]
    assert list(rules) == ["urgent outage", "mute contests", "never"]  # playbook order
    assert rules["urgent outage"]["hits"] == 2 and rules["mute contests"]["hits"] == 1
    assert rules["never"]["hits"] == 0
    assert report["warnings"] == ["rule 'never' matches none of the 3 posts"]
    # Posts a rule makes not actionable: named, all of them (not 3 examples).
    assert [p["text"] for p in rules["mute contests"]["made_not_actionable"]] == [
        "how do I enter the contest?"
    ]
    assert len(rules["urgent outage"]["posts"]) == 2


def test_diff_against_what_is_stored(store: Store, make_post: MakePost) -> None:
    old = rules_playbook({"name": "outage", "keywords": ["outage"], "tag": "outage"})
    posts = [make_post("outage again"), make_post("refund please")]
    store.upsert_posts(posts, old.triage_many(posts, store))
    new = rules_playbook(
        {"name": "outage", "keywords": ["outage"], "tag": "outage", "priority": 3},
        {"name": "billing", "keywords": ["refund"], "tag": "billing"},
    )
    report = dry_run(store, new, 0, diff=True)
    changes = {c["text"]: c for c in report["changes"]}
    assert changes["outage again"]["priority"] == [1, 3]
    assert changes["refund please"]["tags_added"] == ["billing"]
    assert report["changed"] == 2


def test_live_hit_counts_per_rule_over_an_hour_a_day_and_a_week(
    tmp_path: Path, store: Store, make_post: MakePost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from socialdesk.services.playbook_keeper import PlaybookKeeper
    from socialdesk.store import db as storing  # hits are counted as the posts are stored

    path = tmp_path / "pb.toml"
    path.write_text(
        '[[rule]]\nname = "outage"\nkeywords = ["outage"]\n[[rule]]\nname = "never"\nkeywords = ["zz"]\n'
    )
    live = PlaybookKeeper(store, str(path), "dana").current().triager
    now = 1_900_000_000.0
    for age, text in ((2 * 86400, "outage a"), (2 * 3600, "outage b"), (60, "outage c")):
        monkeypatch.setattr(storing.time, "time", lambda age=age: now - age)
        posts = [make_post(text)]
        store.upsert_posts(posts, live.triage_many(posts, store))
    again = [make_post("outage c", native_id=posts[0].native_id)]  # a re-delivery counts once
    live.triage_many(again, store)
    ours = [make_post("outage update from us", is_ours=True)]  # our own replies are not counted
    store.upsert_posts(ours, live.triage_many(ours, store))
    monkeypatch.setattr(storing.time, "time", lambda: now)
    monkeypatch.setattr("socialdesk.services.rules_review.time.time", lambda: now)
    report = dry_run(store, live, 0)
    assert report["rules"]["outage"]["live"] == {"1h": 1, "24h": 2, "7d": 3}
    assert report["rules"]["never"]["live"] == {"1h": 0, "24h": 0, "7d": 0}


def test_json_lists_every_post_a_rule_fired_on_not_a_few_examples(store: Store, make_post: MakePost) -> None:
    store.upsert_posts([make_post(f"outage number {i}") for i in range(7)])
    triager = rules_playbook({"name": "outage", "keywords": ["outage"], "priority": 3})
    assert len(dry_run(store, triager, 0)["rules"]["outage"]["posts"]) < 7  # the text report: a few
    every = dry_run(store, triager, 0, all_posts=True)["rules"]["outage"]
    assert every["hits"] == 7 and len(every["posts"]) == 7
