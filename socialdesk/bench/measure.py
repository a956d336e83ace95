"""The in-process measurements: search, sync ingest, the composer counter, thread and customer opening.

Each returns plain numbers (seconds unless named otherwise) for `socialdesk.bench.suite` to judge.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from socialdesk.bench.corpus import END, CorpusSpec, Generator
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.models import Post
from socialdesk.store import Store, queries
from socialdesk.store.queries import ROW_COLUMNS, PostFilter

# Typical agent searches: single common and rare words, phrases, AND, OR, prefixes, non-Latin text.
SEARCH_QUERIES = (
    "refund",
    "order",
    '"charged twice"',
    "driver rain",
    "app OR website",
    "deliver*",
    '"tracking says delivered"',
    "cancelled subscription",
    "заказ",
    "outage NOT spam",
)
# The same searches as an agent types them in the desk's search box (`/`), which `services.query`
# turns into FTS5: it quotes every word, so the desk never asks FTS5 for a prefix (`deliver*` there is
# the word "deliver"), and a word is left out with `-word`, where FTS5's own syntax says NOT.
DESK_SEARCHES = tuple("outage -spam" if q == "outage NOT spam" else q for q in SEARCH_QUERIES)

_T = TypeVar("_T")


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank: p99 of 300 samples is the 297th smallest."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def warm_then_time(fn: Callable[[_T], object], sample: Sequence[_T]) -> tuple[list[float], list[float]]:
    """Call `fn` on each of `sample` twice, timing each call: (first pass, second pass).

    The figure is the second pass, read after a warm-up as every other figure is: warming only the first
    sample left every other one's pages to whatever the OS page cache held from the groups run before, so
    the figure measured the run's order rather than the reads (README, "Performance"). The first pass is
    kept as the cold figure.
    """
    passes: tuple[list[float], list[float]] = ([], [])
    for times in passes:
        for item in sample:
            started = time.perf_counter()
            fn(item)
            times.append(time.perf_counter() - started)
    return passes


def _paired(
    ours: Callable[[], object], bare: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Time two ways of doing the same thing in turns (ours, bare, bare, ours, ...), `repeat` times each.

    Timed one block after the other, a noisy spell or a page cache still warming up landed on one side
    only: the prefix query once read 8.1 ms against 4.9 ms bare, and 5.0 against 4.8 run again.
    """
    times: tuple[list[float], list[float]] = ([], [])
    for round_ in range(repeat):
        for side in (0, 1) if round_ % 2 == 0 else (1, 0):
            times[side].extend(_timed((ours, bare)[side], 1))
    return times


# -- search -----------------------------------------------------------------------------------------


def search(db: Path, repeat: int = 7, typed: bool = False) -> dict[str, Any]:
    """Newest 50 matches per query through the store, vs the same SQL run bare with sqlite3.

    `typed=False` hands `SEARCH_QUERIES` to FTS5 as they are (`queries.search_page`); `typed=True`
    reads `DESK_SEARCHES` as the desk's search box does (`services.query.parse_query`, customer posts
    only, then `queries.feed_page`). The baseline is the statement the store runs (FTS5 MATCH joined to posts,
    the filter's other conditions, newest rowid first, LIMIT 51), executed and fetched with the sqlite3
    module alone: the ratio is what the store adds (building rows, reading tags). Each query runs once
    to warm the page cache, then `repeat` times each way, in turns.
    """
    from socialdesk.services.query import parse_query

    store = Store(db)
    conn = store.conn
    searches = (
        [(text, queries.INBOUND.and_(parse_query(text, agent="bench", now=END))) for text in DESK_SEARCHES]
        if typed
        else [(text, PostFilter(fts=text)) for text in SEARCH_QUERIES]
    )
    ours: list[float] = []
    bare: list[float] = []
    per_query: dict[str, dict[str, float]] = {}
    for text, flt in searches:
        where, params = queries.filter_sql(PostFilter(flt.where, flt.params))
        bare_sql = (
            f"SELECT {ROW_COLUMNS} FROM posts_fts f JOIN posts p ON p.id = f.rowid "
            f"WHERE posts_fts MATCH ? AND {where} ORDER BY f.rowid DESC LIMIT ?"
        )
        bare_params = (flt.fts, *params, 51)
        page = queries.feed_page(conn, flt, limit=50)
        conn.execute(bare_sql, bare_params).fetchall()
        t_ours, t_bare = _paired(
            partial(queries.feed_page, conn, flt, limit=50),
            lambda: conn.execute(bare_sql, bare_params).fetchall(),  # noqa: B023
            repeat,
        )
        ours += t_ours
        bare += t_bare
        per_query[text] = {
            "matches_shown": len(page.rows),
            "median": statistics.median(t_ours),
            "bare_median": statistics.median(t_bare),
        }
    store.close()
    return {"p95": quantile(ours, 0.95), "bare_p95": quantile(bare, 0.95), "queries": per_query}


# -- sync ingest ------------------------------------------------------------------------------------


class ReplayConnector(Connector):
    """Hands out pre-generated posts a page at a time, like a network's timeline (no I/O)."""

    name = "bench"
    capabilities = Capabilities()

    def __init__(self, posts: Sequence[Post], page: int) -> None:
        super().__init__(account="bench")
        self.posts = posts
        self.page = page

    def fetch(self, cursor: str | None) -> FetchResult:
        start = int(cursor or 0)
        end = min(len(self.posts), start + self.page)
        return FetchResult(posts=list(self.posts[start:end]), cursor=str(end), more=end < len(self.posts))


def triage_function(db: Path) -> tuple[Any, str]:
    """The triage the real sync path applies: the workspace's, else the built-in rules, else none."""
    try:
        from socialdesk.cli import build_context, workspace_triage

        fn = workspace_triage(build_context(db=db, offline=True))
        if fn is not None:
            return fn, "workspace_triage"
    except Exception:
        pass
    try:
        from socialdesk.services.rules import Triager
    except ImportError:
        return None, "none"
    return Triager(), "rules.Triager (built-in classifier, no playbook rules)"


def ingest_posts(count: int, seed: int = 6) -> list[Post]:
    """`count` new posts in time order after the cached ones, with their own authors and threads."""
    spec = CorpusSpec.for_posts(count, seed=seed + 1000)
    gen = Generator(spec, prefix="s", end=END + 30 * 86400)
    return [gen.post(r) for r in gen.records(count)]


def _fresh_store(folder: Path, name: str) -> Store:
    return Store(folder / f"{name}.db")


def _children_cpu() -> float | None:
    """CPU seconds (user + system) of this process's descendants still running (Linux /proc; else None).

    The triage worker may be a grandchild (a fork server's child), so the whole tree is walked.
    """
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    me = os.getpid()

    def descends(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            pid, seen = parents.get(pid, 0), seen + 1
            if pid == me:
                return True
        return False

    return sum(seconds for pid, seconds in cpu.items() if pid != me and descends(pid))


def _waited_for_core() -> float | None:
    """Seconds this thread has been ready to run but waiting for a core (Linux schedstat; else None)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def _since(before: float | None) -> float | None:
    now = _waited_for_core()
    return None if before is None or now is None else now - before


def ingest(count: int = 100_000, page: int = 200) -> dict[str, Any]:
    """Sync `count` posts through `sync_source` (with triage) vs a bare executemany of the same rows.

    Both write to a new cache with the real schema, indexes and triggers (FTS included). The baseline
    inserts every row the sync path stored, read back from its cache: the customers and identities,
    then the posts in transactions as large as the sync engine's (`sync.GROUP_POSTS`), then the tags;
    the posts' and tags' transactions are bounded writes (`Store.transaction`), as the sync engine's are.
    Besides wall times, the CPU seconds of the storing thread (this one), of the whole process and of
    the triage worker process(es), and of the baseline's thread: on a shared machine they say what
    each side cost where wall time also says how long it waited for a core; and how long each side's
    thread waited for a core while ready to run (the triage worker and other work on the machine
    take cores from the storing thread, not from the baseline).
    """
    from socialdesk.services.sync import GROUP_POSTS, Source, sync_source

    posts = ingest_posts(count)
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-") as tmp:
        folder = Path(tmp)
        store = _fresh_store(folder, "sync")
        triage, triage_name = triage_function(folder / "sync.db")
        source = Source("bench", ReplayConnector(posts, page))
        children_before = _children_cpu()
        waited = _waited_for_core()
        started = time.perf_counter()
        thread_started, process_started = time.thread_time(), time.process_time()
        stored = 0
        while True:
            report = sync_source(store, source, triage, max_pages=50)
            if report.state != "ok":
                raise RuntimeError(f"sync failed: {report.message}")
            stored += len(report.new_ids)
            if store.get_cursor("bench") == str(len(posts)):
                break
        sync_seconds = time.perf_counter() - started
        sync_thread_cpu = time.thread_time() - thread_started
        sync_process_cpu = time.process_time() - process_started
        sync_waited = _since(waited)
        children_after = _children_cpu()
        worker_cpu = (
            children_after - children_before
            if children_after is not None and children_before is not None
            else None
        )
        conn = store.conn
        columns = [r[1] for r in conn.execute("PRAGMA table_info(posts)")]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM posts ORDER BY id").fetchall()
        customers = conn.execute("SELECT * FROM customers").fetchall()
        identities = conn.execute("SELECT * FROM identities").fetchall()
        tags = conn.execute("SELECT * FROM post_tags").fetchall()
        store.close()

        bare = _fresh_store(folder, "bare")
        insert_posts = f"INSERT INTO posts ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})"
        waited = _waited_for_core()
        started = time.perf_counter()
        thread_started = time.thread_time()
        with bare.transaction() as c:
            c.executemany(f"INSERT INTO customers VALUES ({','.join('?' * len(customers[0]))})", customers)
            c.executemany(f"INSERT INTO identities VALUES ({','.join('?' * len(identities[0]))})", identities)
        for group in iter_chunks(rows, GROUP_POSTS):
            with bare.transaction(bounded_writes=True) as c:
                c.executemany(insert_posts, group)
        if tags:
            with bare.transaction(bounded_writes=True) as c:
                c.executemany("INSERT INTO post_tags VALUES (?, ?)", tags)
        bare_seconds = time.perf_counter() - started
        bare_thread_cpu = time.thread_time() - thread_started
        bare_waited = _since(waited)
        bare.close()
    return {
        "posts": count,
        "stored": stored,
        "page": page,
        "triage": triage_name,
        "sync_seconds": sync_seconds,
        "bare_seconds": bare_seconds,
        "sync_posts_per_s": count / sync_seconds,
        "bare_posts_per_s": count / bare_seconds,
        "sync_thread_cpu_s": sync_thread_cpu,
        "sync_process_cpu_s": sync_process_cpu,
        "worker_cpu_s": worker_cpu,
        "bare_thread_cpu_s": bare_thread_cpu,
        "sync_thread_waited_s": sync_waited,
        "bare_thread_waited_s": bare_waited,
        "bare_transaction_posts": GROUP_POSTS,
    }


# -- composer ---------------------------------------------------------------------------------------

MIXED_TEXT = (
    "@brightbasket Hi! Order #482913 arrived 🙃 but half the items were missing — 牛乳 and パン 🍞. "
    "Заказ был оплачен £42.50 https://example.com/receipt/482913 ¿Me ayudan? 👩‍👩‍👧‍👦 "
    "Ελπίζω σύντομα 🇬🇧 #refund "
)


def composer_text(length: int = 280, variant: int = 0) -> str:
    """A mixed-script reply (Latin, CJK, Cyrillic, Greek, emoji ZWJ sequences, a URL), `length` chars.

    Variants differ in their order number and URL, so a counter's per-token caches cannot carry
    one typing run over to the next.
    """
    text = MIXED_TEXT.replace("482913", str(482913 + variant * 7919))
    while len(text) < length:
        text += text
    return text[:length]


def composer(network: str = "x", length: int = 280, runs: int = 5) -> dict[str, Any]:
    """Type the text one character at a time, calling `compose.length` on every prefix (each keystroke)."""
    from socialdesk import compose

    compose.length(composer_text(length, variant=-1), network)  # imports and tables, once per process
    per_call: list[float] = []
    for variant in range(runs):
        text = composer_text(length, variant)
        for i in range(1, len(text) + 1):
            prefix = text[:i]
            started = time.perf_counter()
            compose.length(prefix, network)
            per_call.append(time.perf_counter() - started)
    return {
        "network": network,
        "chars": length,
        "mean": statistics.fmean(per_call),
        "p99": quantile(per_call, 0.99),
        "max": max(per_call),
        "calls": len(per_call),
    }


# -- thread and customer ----------------------------------------------------------------------------


def open_thread(db: Path, customer_id: int, repeat: int = 40, seed: int = 1) -> dict[str, Any]:
    """Open a thread and the customer's card and first history page, as the desk does on selection.

    Posts are sampled from the heavy customer's history (threaded ones first), so every opening
    counts their 5,000 posts and walks a long conversation.
    """
    store = Store(db)
    conn = store.conn
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM posts INDEXED BY posts_customer WHERE customer_id = ? "
            "ORDER BY created_at DESC LIMIT 2000",
            (customer_id,),
        )
    ]
    rng = random.Random(seed)
    sample = rng.sample(ids, min(repeat, len(ids)))
    sizes: list[int] = []
    interactions = 0

    def open_one(post_id: int) -> None:
        nonlocal interactions
        thread = queries.thread(conn, post_id)
        assert thread is not None
        card = queries.customer(conn, customer_id)
        history = queries.customer_history(conn, customer_id, limit=50)
        assert card is not None and history.rows
        sizes.append(len(thread.posts))
        interactions = card.interactions

    cold, times = warm_then_time(open_one, sample)
    store.close()
    sizes = sizes[len(sample) :]
    return {
        "p95": quantile(times, 0.95),
        "median": statistics.median(times),
        "max": max(times),
        "cold_p95": quantile(cold, 0.95),
        "customer_posts": interactions,
        "thread_posts_median": statistics.median(sizes),
        "thread_posts_max": max(sizes),
    }


def queue_counts(db: Path, agent: str, repeat: int = 30) -> dict[str, Any]:
    """Count every saved queue's tab and the feed's total, as the desk does after each change.

    The queues are the sample playbook's, which a desk starts with: two of them filter on tags. The first
    round after opening the cache is timed apart (cold), like a desk's first counts.
    """
    from socialdesk.models import Agent
    from socialdesk.services.playbook import load_playbook
    from socialdesk.services.queue import QueueService, load_queues

    store = Store(db)
    service = QueueService(store, Agent(agent))
    queues = load_queues(load_playbook(None))
    times: list[float] = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        counts = service.counts(queues)
        total = queries.count(store.conn, queries.INBOUND)
        times.append(time.perf_counter() - started)
    store.close()
    return {
        "p95": quantile(times[1:], 0.95),
        "median": statistics.median(times[1:]),
        "cold": times[0],
        "counts": counts,
        "feed_total": total,
    }


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of `items`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sqlite_version() -> str:
    """The SQLite library's version."""
    return sqlite3.sqlite_version
