"""Bench measurements for the team's figures: similar posts of one post, and a metrics report."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from socialdesk.bench.corpus import END
from socialdesk.bench.measure import quantile, warm_then_time
from socialdesk.models import Author, Post
from socialdesk.services.metrics import Metrics, Period
from socialdesk.services.patterns import similar_to
from socialdesk.store import Store
from socialdesk.store import similar_index as si


def index_recent(store: Store) -> int:
    """Index the cache's last week as ingest would have (once: the index then stays in the cache)."""
    conn = store.conn
    since = END - si.RECENT_SECONDS
    if conn.execute("SELECT count(*) FROM post_signatures").fetchone()[0]:
        return 0
    rows = conn.execute(
        "SELECT id, network, native_id, text, created_at FROM posts INDEXED BY posts_feed "
        "WHERE created_at >= ? AND is_ours = 0",
        (since,),
    ).fetchall()
    with store.transaction() as tx:
        return si.index_new_posts(
            tx, [(r[0], Post(r[1], r[2], Author("", ""), r[3], r[4])) for r in rows], now=END
        )


def similar_posts(db: Path, repeat: int = 50, seed: int = 3) -> dict[str, Any]:
    """Time the thread pane's similar-posts line (last hour and day) for recent posts."""
    store = Store(db, clock=lambda: END)
    indexed = index_recent(store)
    conn = store.conn
    ids = [
        r[0]
        for r in conn.execute("SELECT post_id FROM post_signatures WHERE created_at >= ?", (END - 86400,))
    ]
    sample = random.Random(seed).sample(ids, min(repeat, len(ids)))
    sizes: list[int] = []

    def look_up(post_id: int) -> None:
        pattern = similar_to(conn, post_id, END)
        sizes.append(pattern.day.posts if pattern else 0)

    cold, times = warm_then_time(look_up, sample)
    store.close()
    sizes = sizes[len(sample) :]
    return {
        "p95": quantile(times, 0.95),
        "median": statistics.median(times),
        "cold_p95": quantile(cold, 0.95),
        "indexed_now": indexed,
        "similar_median": statistics.median(sizes),
        "similar_max": max(sizes),
    }


def metrics_report(db: Path, repeat: int = 5) -> dict[str, Any]:
    """Time the metrics over 30 days with the previous 30: as the screen's `m` shows them (no
    breakdown) and as `socialdesk report --since 30d --by network` computes them; and 7 days by network.

    Each report is made once cold (kept as `NAME_cold`: the first one after opening pays for reading the
    file into the page cache), then `repeat` times: the figure is the median, as every other figure is
    read after a warm-up. Wall and CPU seconds both: the machines are shared, and CPU time is what the
    queries cost.
    """
    store = Store(db)
    metrics = Metrics(store, clock=lambda: END)
    out: dict[str, Any] = {}
    for name, days, by in (("30d_screen", 30, None), ("30d", 30, "network"), ("7d", 7, "network")):
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(1 + repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            report = metrics.report(Period(END - days * 86400, END, f"{days}d"), by=by)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        out[f"{name}_cold"], out[f"{name}_cold_cpu"] = walls[0], cpus[0]
        out[name], out[f"{name}_cpu"] = statistics.median(walls[1:]), statistics.median(cpus[1:])
        out[f"{name}_posts"] = report.figures.volume
    figures = report.figures.as_dict()  # the response and resolution figures are real ones
    out["7d_figures"] = {
        k: figures[k] for k in ("answered", "first_response_median_s", "resolved", "replies")
    }
    store.close()
    return out
