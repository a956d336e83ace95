"""Triage ahead of storing: the sync engine's pipeline and the Triager's worker process.

Whatever runs where, the stored rows must be exactly those of in-process `triage_many`, and a failed
or broken worker must never lose a post.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Author, Post
from socialdesk.services import rules, triage_offload
from socialdesk.services.playbook import load_playbook
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from tests.triage.accuracy import load

PAGE = 40


class Pages(Connector):
    """Hands out fixed posts a page at a time (no I/O)."""

    name = "x"
    capabilities = Capabilities()

    def __init__(self, posts: Sequence[Post], page: int = PAGE, fail_after: int | None = None) -> None:
        super().__init__("brand")
        self.posts = posts
        self.page = page
        self.fail_after = fail_after

    def fetch(self, cursor: str | None) -> FetchResult:
        start = int(cursor or 0)
        if self.fail_after is not None and start >= self.fail_after:
            raise RuntimeError("network gone")
        end = min(len(self.posts), start + self.page)
        return FetchResult(list(self.posts[start:end]), str(end), more=end < len(self.posts))


def corpus(n: int = 6 * PAGE) -> list[Post]:
    """Labelled texts from a few repeat authors (the repeat-customer and VIP rules need the store)."""
    texts = [str(r["text"]) for r in load()]
    handles = ["foodcritic_uk", "sam", "kim", "lee", "grocerywatch", "ana"]
    return [
        Post(
            "x",
            f"p{i}",
            Author(f"a{i % 6}", handles[i % 6], followers=(i * 997) % 30000),
            texts[i % len(texts)],
            1_800_000_000.0 + i,
            account="brand",
        )
        for i in range(n)
    ]


def stored(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute(
        "SELECT native_id, customer_id, sentiment, sentiment_label, intent, actionable, priority, due_at, "
        "assigned_to, (SELECT group_concat(tag) FROM (SELECT tag FROM post_tags t WHERE t.post_id = p.id "
        "ORDER BY tag)) FROM posts p ORDER BY id"
    ).fetchall()


def in_process(tmp_path: Path, posts: list[Post]) -> list[tuple[object, ...]]:
    store = Store(tmp_path / "reference.db")
    triager = Triager.from_playbook(load_playbook(None))
    triager.offload = False
    assert sync_source(store, Source("x", Pages(posts)), triager.triage_many).state == SourceState.OK
    return stored(store)


@pytest.fixture(params=["default", "forkserver"])
def offloading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Triager]:
    """A Triager that hands every batch of the test corpus to its worker, once the worker is up.

    "default": what this process gets (fork when single-threaded); "forkserver": what the desk gets.
    """
    if request.param != "default":
        if request.param not in multiprocessing.get_all_start_methods():
            pytest.skip(f"no {request.param} here")
        monkeypatch.setattr(triage_offload, "_mp_context", lambda: multiprocessing.get_context(request.param))
    monkeypatch.setattr(Triager, "OFFLOAD_MIN_BATCH", 10)
    triager = Triager.from_playbook(load_playbook(None))
    triager.offload = True
    warm_up = triager._prepare(corpus(10), more=True)
    assert warm_up.future is not None
    warm_up.future.result(timeout=60)
    yield triager
    triager.close()


def test_the_worker_gives_exactly_the_in_process_triage(tmp_path: Path, offloading: Triager) -> None:
    posts = corpus()
    store = Store(tmp_path / "cache.db")
    collected: list[bool] = []
    real = Triager._collect

    def spy(self: Triager, *args: object) -> object:
        got = real(self, *args)  # type: ignore[arg-type]
        collected.append(got is not None)
        return got

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Triager, "_collect", spy)
        report = sync_source(store, Source("x", Pages(posts)), offloading)
    assert report.state == SourceState.OK and len(report.new_ids) == len(posts)
    assert collected and all(collected)  # every page came from the worker
    assert stored(store) == in_process(tmp_path, posts)


def test_small_batches_never_start_a_worker(tmp_path: Path) -> None:
    triager = Triager.from_playbook(load_playbook(None))
    triager.offload = True
    store = Store(tmp_path / "cache.db")
    report = sync_source(store, Source("x", Pages(corpus(3 * PAGE))), triager)  # 40-post pages
    assert report.state == SourceState.OK and triager._offload is None


def _crash(posts: list[rules.PostFields]) -> list[rules.TextVerdict]:
    os._exit(3)


def _fail(posts: list[rules.PostFields]) -> list[rules.TextVerdict]:
    raise ValueError("bug in the worker")


@pytest.mark.parametrize("worker", [_crash, _fail])
def test_a_failing_or_dead_worker_loses_nothing(
    tmp_path: Path, offloading: Triager, monkeypatch: pytest.MonkeyPatch, worker: object
) -> None:
    posts = corpus()
    # The worker is already running (forked or served) with the real function; swap what it is sent.
    monkeypatch.setattr(triage_offload, "_worker_verdicts", worker)
    store = Store(tmp_path / "cache.db")
    report = sync_source(store, Source("x", Pages(posts)), offloading)
    assert report.state == SourceState.OK and len(report.new_ids) == len(posts)
    assert stored(store) == in_process(tmp_path, posts)
    if worker is _crash:
        assert offloading._offload is None and not offloading.offload  # given up: in-process from now on


def test_a_fetch_failure_still_stores_the_page_fetched_before_it(tmp_path: Path, offloading: Triager) -> None:
    posts = corpus()
    store = Store(tmp_path / "cache.db")
    report = sync_source(store, Source("x", Pages(posts, fail_after=3 * PAGE)), offloading)
    assert report.state == SourceState.ERROR and "network gone" in report.message
    assert len(report.new_ids) == 3 * PAGE and store.get_cursor("x") == str(3 * PAGE)
    assert stored(store) == in_process(tmp_path, posts)[: 3 * PAGE]
