"""A small run of the benchmark suite (10,000 posts): every measurement path runs, no time is asserted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from socialdesk.bench import corpus, corpus_cache, report, suite

EXPECTED = (
    "cold start to first feed page",
    "peak RSS",
    "complete first screen in a terminal, demo workspace",
    "complete first screen in a terminal, 10,000-post cache",
    "key to frame p99: j/k (Pilot press",
    "key to frame p99: j/k held",
    "key to frame p99: PgDn",
    "key to frame p99: G",
    "search newest 50",
    "search as typed in the desk, newest 50",
    "sync ingest of",
    "composer counter",
    "thread + customer history",
    "saved queues' 9 tab counts",
    "similar posts of one post",
    "metrics report, 30 days",
    "metrics screen, 30 days",
    "cache size on disk per post",
)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("bench")
    options = suite.Options.make(10_000, folder / "cache", folder / "results.json", quick=True)
    return suite.run(options, say=lambda _line: None)


@pytest.mark.timeout(180)
def test_every_figure_is_measured_and_written(results: dict) -> None:
    names = [f["name"] for f in results["figures"]]
    assert len(names) == len(EXPECTED)
    for name, prefix in zip(names, EXPECTED, strict=True):
        assert name.startswith(prefix)
    for figure in results["figures"]:
        assert math.isfinite(figure["value"]) and figure["value"] > 0, figure
        assert figure["passed"] in ((None,) if figure["target"] == "reported" else (True, False))
        if figure["baseline"] is not None:
            assert figure["baseline"] > 0 and figure["ratio"] == pytest.approx(
                figure["value"] / figure["baseline"]
            )
    written = json.loads(Path(results["options"]["out"]).read_text())
    assert written["figures"] == results["figures"]
    assert written["machine"]["cpu_count"] >= 1 and written["machine"]["sqlite"]


def test_the_cache_has_the_shape_the_figures_rely_on(results: dict) -> None:
    facts = results["corpus"]
    assert facts["posts"] == 10_000 and facts["customers"] == 500
    assert facts["whale_posts"] >= 1_000  # the heavy customer whose history is opened
    assert facts["thread_post"] is not None
    by_name = {f["name"].split(" (")[0]: f for f in results["figures"]}
    ingest = next(f for f in results["figures"] if f["name"].startswith("sync ingest"))
    assert ingest["detail"]["stored"] == ingest["detail"]["posts"]  # every synced post reached the cache
    assert ingest["detail"]["sync_thread_cpu_s"] > 0 and ingest["detail"]["bare_thread_cpu_s"] > 0
    if Path("/proc/thread-self/schedstat").exists():  # how long each side waited for a core, where Linux says
        assert ingest["detail"]["sync_thread_waited_s"] >= 0 and ingest["detail"]["bare_thread_waited_s"] >= 0
    assert by_name["key to frame p99: G"]["detail"]["samples"] >= 3
    for figure in results["figures"]:
        if figure["name"].startswith("complete first screen"):
            # Every part was seen on the emulated screen, none before the process was spawned.
            (parts,) = figure["detail"]["desk_parts"]
            assert {"feed", "thread", "customer", "counter"} <= parts.keys()
            assert figure["value"] == max(parts[p] for p in ("feed", "thread", "customer", "counter"))
    counted = next(f for f in results["figures"] if f["name"].startswith("saved queues'"))["detail"]
    assert counted["counts"]["All"] == counted["feed_total"] > counted["counts"]["Needs reply"] > 0
    assert counted["counts"]["Mine"] > 0  # the agent measured holds work: its count is not a shortcut
    assert report.table(results).count("\n") >= len(EXPECTED) + 3
    disk = by_name["cache size on disk per post"]["detail"]
    # Every post's text and metadata is on disk, with its indexes and search index on top.
    assert disk["posts"] == 10_000 and disk["bytes_per_post"] > disk["payload_bytes_per_post"] > 100
    assert "posts" in disk["largest"] and "posts_fts_data" in disk["largest"]


def test_the_cache_is_reused_and_deterministic(tmp_path: Path) -> None:
    spec = corpus.CorpusSpec.for_posts(2_000)
    first, _, reused = corpus_cache.ensure(spec, tmp_path)
    assert not reused
    again, _, reused = corpus_cache.ensure(spec, tmp_path)
    assert reused and again == first
    rebuilt = corpus_cache.build(spec, tmp_path / "copy.db")
    assert rebuilt["whale_posts"] == corpus_cache.describe(first)["whale_posts"]
    import sqlite3

    def digest(path: Path) -> list[tuple]:
        conn = sqlite3.connect(path)
        rows = conn.execute(
            "SELECT id, native_id, text, customer_id, status FROM posts ORDER BY id"
        ).fetchall()
        conn.close()
        return rows

    assert digest(first) == digest(tmp_path / "copy.db")
    conn = sqlite3.connect(first)
    hits = conn.execute("SELECT COUNT(*) FROM posts_fts WHERE posts_fts MATCH 'refund'").fetchone()[0]
    conn.close()
    assert hits > 0  # the FTS index was built


def test_the_key_latency_run_looks_up_similar_posts_as_threads_load(results: dict) -> None:
    """The desk runs at the cache's time over its similar-posts index, so the threads that load while
    keys are pressed look up their similar posts too (the lookup's cost is in the key figures)."""
    keys = [f for f in results["figures"] if f["name"].startswith("key to frame")]
    assert keys and all(f["detail"]["pattern_lookups"] > 0 for f in keys)


def test_the_cache_has_responses_resolutions_and_replies_for_the_metrics(tmp_path: Path) -> None:
    from socialdesk.services.metrics import Metrics, Period
    from socialdesk.store import Store

    path, _, _ = corpus_cache.ensure(corpus.CorpusSpec.for_posts(2_000), tmp_path)
    store = Store(path)
    report = Metrics(store, clock=lambda: corpus.END).report(
        Period(corpus.END - 30 * 86400, corpus.END, "30d"), by="agent"
    )
    store.close()
    figures = report.figures
    assert figures.answered > figures.actionable / 2 and figures.first_response_median is not None
    assert (figures.first_response_p90 or 0) > figures.first_response_median
    assert figures.resolved > 0 and figures.resolution_median is not None and figures.reopened > 0
    assert figures.replies > 0 and figures.sla_met > 0 and figures.sla_missed > 0
    assert {"jd", "mk", "rs"} <= set(report.groups)


def test_a_cache_built_at_an_earlier_schema_is_migrated_not_rebuilt(tmp_path: Path) -> None:
    from socialdesk.store.schema import SCHEMA_VERSION

    spec = corpus.CorpusSpec.for_posts(1_000)
    built, facts, _ = corpus_cache.ensure(spec, tmp_path)
    older = spec.path(tmp_path, SCHEMA_VERSION - 1)
    built.replace(older)
    built.with_suffix(".json").replace(older.with_suffix(".json"))
    again, migrated, reused = corpus_cache.ensure(spec, tmp_path)
    assert reused and again == built and not older.exists()
    assert migrated["migrated_from"] == older.name and migrated["posts"] == facts["posts"]
