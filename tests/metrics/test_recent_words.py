"""The spike check's word tally, kept between checks: the same counts as reading the window afresh."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from socialdesk.models import Author, Post
from socialdesk.services import spikes
from socialdesk.store import Store
from tests.conftest import FIXED_NOW

VOCABULARY = ["refund", "delivery", "parcel", "broken", "screen", "login", "password", "invoice", "late"]


def _post(rng: random.Random, number: int, at: float) -> Post:
    text = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randrange(1, 7)))
    return Post("x", f"p{number}", Author(f"u{rng.randrange(50)}", "u"), f"@acme {text}", at)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Three hours of posts, one every 20 seconds on average."""
    rng = random.Random(3)
    start = FIXED_NOW - 3 * 3600
    posts, at = [], start
    while at < FIXED_NOW:
        posts.append(_post(rng, len(posts), at))
        at += rng.expovariate(1 / 20)
    store = Store(tmp_path / "cache.db", clock=lambda: FIXED_NOW)
    store.upsert_posts(posts)
    return store


def _afresh(store: Store, since: float, until: float) -> dict[str, int]:
    return dict(spikes.RecentWords().used(store.conn, since, until))


def test_a_kept_tally_matches_a_fresh_one_as_the_window_slides(store: Store) -> None:
    """Posts age out, arrive late inside the window, turn out to be ours, or are removed: a tally kept
    from check to check counts what a fresh one does at every check."""
    rng = random.Random(5)
    kept = spikes.RecentWords()
    late = 10_000
    for step, now in enumerate(range(int(FIXED_NOW - 2 * 3600), int(FIXED_NOW), 60)):
        since = now - spikes.WINDOW
        if step % 7 == 3:  # a backfill brings an older post, inside the window
            store.upsert_posts([_post(rng, late, now - rng.uniform(60, spikes.WINDOW - 60))])
            late += 1
        if step % 11 == 5:  # one of the window's posts is ours after all (or another account's)
            store.conn.execute(
                "UPDATE posts SET is_ours = 1 WHERE id = (SELECT min(id) FROM posts WHERE created_at >= ?"
                " AND is_ours = 0)",
                (since + 300,),
            )
        if step % 13 == 8:
            gone = "SELECT max(id) FROM posts WHERE created_at < ?"
            store.conn.execute(f"DELETE FROM posts WHERE id = ({gone})", (now,))
        assert dict(kept.used(store.conn, since, now)) == _afresh(store, since, now), step


def test_a_check_splits_only_the_posts_that_entered_since_the_last(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    split: list[str] = []
    words = spikes.words
    monkeypatch.setattr(spikes, "words", lambda text: split.append(text) or words(text))
    kept = spikes.RecentWords()
    now = FIXED_NOW - 3600
    kept.used(store.conn, now - spikes.WINDOW, now)
    in_window = len(split)
    assert in_window > 50
    split.clear()
    kept.used(store.conn, now + 60 - spikes.WINDOW, now + 60)
    entered = store.conn.execute(
        "SELECT count(*) FROM posts WHERE created_at >= ? AND created_at < ?", (now, now + 60)
    ).fetchone()[0]
    assert len(split) == entered < in_window / 10


def test_words_of_posts_that_left_are_not_kept(store: Store) -> None:
    kept = spikes.RecentWords()
    kept.used(store.conn, FIXED_NOW - spikes.WINDOW, FIXED_NOW)
    assert kept.used(store.conn, FIXED_NOW + 3600, FIXED_NOW + 3600 + spikes.WINDOW) == {}
    assert kept._words == {} and kept._used == {}


def test_detect_with_a_kept_tally_finds_what_it_finds_afresh(store: Store) -> None:
    """A keyword jump (forty "outage" posts in half an hour) is found at each check either way."""
    rng = random.Random(9)
    jump = FIXED_NOW - 1800
    store.upsert_posts(
        [
            Post("x", f"o{i}", Author(f"o{i}", "o"), f"@acme outage {rng.choice(VOCABULARY)}", at)
            for i, at in enumerate(jump + 45.0 * n for n in range(40))
        ]
    )
    kept = spikes.RecentWords()
    verdicts = []
    for now in range(int(jump - 600), int(FIXED_NOW), 60):
        fresh = spikes.detect(store.conn, now)
        assert spikes.detect(store.conn, now, recent=kept) == fresh, now
        verdicts.append(any(s.kind == "keyword" and s.name == "outage" for s in fresh))
    assert not verdicts[0] and verdicts[-1]


def test_keyword_candidates_are_the_most_used_words_ties_by_the_word() -> None:
    tied = [f"word{i:02d}" for i in range(spikes.KEYWORDS + 2)]
    used = {word: spikes.MIN_POSTS for word in reversed(tied)}  # read in the other order
    used["rare"] = spikes.MIN_POSTS - 1
    used["zebra"] = spikes.MIN_POSTS + 5
    assert spikes.keyword_candidates(used) == ["zebra", *tied[: spikes.KEYWORDS - 1]]
    assert spikes.keyword_candidates({"rare": spikes.MIN_POSTS - 1}) == []
