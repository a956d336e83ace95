"""Builds the benchmark cache from a `CorpusSpec` (bulk load, indexes after), or reuses a complete one."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from pathlib import Path

from msgspec.structs import asdict

from socialdesk.bench.corpus import (
    AGENTS,
    END,
    INTENTS,
    SLA_MINUTES,
    SPAN,
    STATUS_WEIGHTS,
    STATUSES,
    CorpusSpec,
    Generator,
    Record,
)
from socialdesk.bench.corpus_care import INSERT_REPLY, INSERT_STATUS, care
from socialdesk.store import Store, queue_tally, tag_pairs, tag_tally
from socialdesk.store import metrics_arrival_schema as arrival_schema
from socialdesk.store import metrics_pair_schema as pair_schema
from socialdesk.store import metrics_repeat_schema as repeat_schema
from socialdesk.store import metrics_rollup_schema as rollup_schema
from socialdesk.store import metrics_tenths_schema as tenths_schema
from socialdesk.store.migrate import statements
from socialdesk.store.schema import SCHEMA_VERSION

POST_INSERT_COLUMNS = (
    "id, network, native_id, account, author_native_id, author_handle, author_name, customer_id, text, "
    "created_at, url, in_reply_to, conversation_id, kind, lang, is_ours, content_warning, raw, fetched_at, "
    "status, priority, sentiment, sentiment_label, intent, actionable, assigned_to, due_at, first_response_at"
)
INSERT_POST = f"INSERT INTO posts ({POST_INSERT_COLUMNS}) VALUES ({', '.join('?' * 28)})"


def _triage_columns(
    rng: random.Random, record: Record
) -> tuple[str, int, float, str, str, int, str, float | None]:
    """Plausible triage state: old posts are mostly resolved, recent ones spread over the queue."""
    if record.is_ours:
        return "resolved", 1, 0.0, "neutral", "", 0, "", None
    age_days = (END - record.created_at) / 86400
    status = "resolved" if age_days > 21 and rng.random() < 0.95 else rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    priority = rng.choices((0, 1, 2, 3), (10, 60, 22, 8))[0]
    sentiment = round(rng.uniform(-1, 1), 3)
    label = "negative" if sentiment < -0.3 else "positive" if sentiment > 0.3 else "neutral"
    actionable = int(rng.random() < 0.8)
    due = record.created_at + SLA_MINUTES[priority] * 60 if actionable and status != "resolved" else None
    return status, priority, sentiment, label, rng.choice(INTENTS), actionable, rng.choice(AGENTS), due


def build(spec: CorpusSpec, path: Path, progress: bool = False) -> dict[str, object]:
    """Write the spec's cache to `path` (through a temporary file) and return facts about it.

    The real schema is created by `Store`; indexes and FTS and metrics triggers are dropped for the bulk
    load and recreated from their own SQL afterwards, the FTS index is built once with 'rebuild' and the
    metrics' rollups with their migration's backfill.
    """
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    store = Store(tmp)
    store.close()
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")
    conn.execute("PRAGMA temp_store = MEMORY")
    saved = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE (tbl_name IN ('posts', 'post_tags') "
        "OR name LIKE 'metrics%') AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    for kind, name, _ in saved:
        conn.execute(f"DROP {kind.upper()} {name}")
    gen = Generator(spec)
    rng = random.Random(spec.seed + 1)
    care_rng = random.Random(spec.seed + 2)  # its own stream: the posts stay what they were
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customers (id, display_name, first_seen, vip) VALUES (?, ?, ?, ?)",
        ((c + 1, gen.names[c], END - SPAN, int(c % 997 == 0)) for c in range(spec.customers)),
    )
    conn.executemany(
        "INSERT INTO identities (customer_id, network, native_id, handle, display_name, followers, "
        "first_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (c + 1, n, f"{n}-u{c}", gen.handle_on(c, n), gen.names[c], gen.followers[c], END - SPAN)
            for c in range(spec.customers)
            for n in gen.customer_networks[c]
        ),
    )
    rows: list[tuple[object, ...]] = []
    tags: list[tuple[int, str]] = []
    replies: list[tuple[object, ...]] = []
    changes: list[tuple[object, ...]] = []
    for record in gen.records():
        post_id = record.index + 1
        author = gen.author(record)
        triage = _triage_columns(rng, record)
        done = care(care_rng, post_id, record, triage[0], triage[5], triage[6])
        replies.extend([done.reply] if done.reply else [])
        changes.extend(done.changes)
        rows.append(
            (
                post_id,
                record.network,
                record.native_id,
                "bench",
                author.native_id,
                author.handle,
                author.display_name,
                record.customer + 1,
                record.text,
                record.created_at,
                f"https://{record.network}.example/{record.native_id}",
                record.in_reply_to,
                record.conversation_id,
                record.kind,
                record.lang,
                int(record.is_ours),
                "",
                "{}",
                record.created_at + 5,
                *triage,
                done.first_response_at,
            )
        )
        tags.extend((post_id, t) for t in record.tags)
        if len(rows) >= 50_000:
            _insert(conn, rows, tags, replies, changes)
            rows, tags, replies, changes = [], [], [], []
            if progress:
                print(f"  generated {post_id:,} posts ({time.perf_counter() - started:.0f} s)", flush=True)
    _insert(conn, rows, tags, replies, changes)
    conn.execute("COMMIT")
    if progress:
        print(f"  indexing ({time.perf_counter() - started:.0f} s)", flush=True)
    for kind, _, sql in saved:
        if kind == "index":
            conn.execute(sql)
    conn.execute("INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')")
    for statement in statements(
        rollup_schema.backfill(days=False)
        + tenths_schema.BACKFILL
        + pair_schema.BACKFILL
        + queue_tally.BACKFILL
        + tag_tally.BACKFILL
        + tag_pairs.BACKFILL
        + repeat_schema.BACKFILL
        + arrival_schema.BACKFILL
    ):  # the metrics' rollups (migration 33 sums the resolutions' day histograms again, 34 gives each
        # resolution its post's network and quarter-hour, 35 sums first responses per tenth) and the tallies
        conn.execute(statement)
    for kind, _, sql in saved:
        if kind == "trigger":
            conn.execute(sql)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    tmp.replace(path)
    facts = describe(path)
    facts["build_seconds"] = round(time.perf_counter() - started, 1)
    path.with_suffix(".json").write_text(json.dumps({"spec": asdict(spec), **facts}, indent=2))
    return facts


def _insert(
    conn: sqlite3.Connection,
    posts: list[tuple[object, ...]],
    tags: list[tuple[int, str]],
    replies: list[tuple[object, ...]],
    changes: list[tuple[object, ...]],
) -> None:
    conn.executemany(INSERT_POST, posts)
    conn.executemany("INSERT INTO post_tags (post_id, tag) VALUES (?, ?)", tags)
    conn.executemany(INSERT_REPLY, replies)
    conn.executemany(INSERT_STATUS, changes)


def describe(path: Path) -> dict[str, object]:
    """Counts and the ids the measurements use (the whale customer and one of its threaded posts)."""
    conn = sqlite3.connect(path)
    try:
        posts = conn.execute("SELECT MAX(id) FROM posts").fetchone()[0] or 0
        customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        whale_posts = conn.execute("SELECT COUNT(*) FROM posts WHERE customer_id = 1").fetchone()[0]
        thread_post = conn.execute(
            "SELECT p.id FROM posts p WHERE p.customer_id = 1 AND p.in_reply_to IS NOT NULL "
            "ORDER BY p.created_at DESC LIMIT 21"
        ).fetchall()[-1:]
    finally:
        conn.close()
    return {
        "posts": posts,
        "customers": customers,
        "whale_customer": 1,
        "whale_posts": whale_posts,
        "thread_post": thread_post[0][0] if thread_post else None,
    }


def ensure(spec: CorpusSpec, cache_dir: Path, progress: bool = False) -> tuple[Path, dict[str, object], bool]:
    """The spec's cache, built unless a complete one is already there.

    Returns:
        The path, its facts, and whether it was reused.
    """
    path = spec.path(cache_dir)
    meta = path.with_suffix(".json")
    if not (path.exists() and meta.exists()):
        older = _older_schema(spec, cache_dir)
        if older is not None:
            _migrate(older, path, progress)
    if path.exists() and meta.exists():
        facts = json.loads(meta.read_text())
        facts.pop("spec", None)
        return path, facts, True
    return path, build(spec, path, progress), False


def _older_schema(spec: CorpusSpec, cache_dir: Path) -> Path | None:
    """A complete cache of the same spec and generator built at an earlier schema version, if any."""
    for schema in range(SCHEMA_VERSION - 1, 0, -1):
        old = spec.path(cache_dir, schema)
        if old.exists() and old.with_suffix(".json").exists():
            return old
    return None


def _migrate(old: Path, path: Path, progress: bool) -> None:
    """Bring a cache built at an earlier schema up to date (the store's own migrations), under its new name.

    Rebuilding the ten-million-post cache takes most of an hour; a migration that adds a table or an
    index takes seconds to minutes. The cache is the same rows either way: migrations keep data.
    """
    started = time.perf_counter()
    if progress:
        print(f"  migrating {old.name} to the current schema", flush=True)
    for suffix in ("-wal", "-shm", ""):  # a killed desk may have left its write-ahead log: it moves too
        moved = Path(str(old) + suffix)
        if moved.exists():
            moved.replace(str(path) + suffix)
    Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        free, pages = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        if free > pages * 0.05:  # a migration dropped an index: give its pages back, so sizes are true
            conn.execute("VACUUM")
    finally:
        conn.close()
    facts = json.loads(old.with_suffix(".json").read_text())
    facts["migrated_from"] = old.name
    facts["migrate_seconds"] = round(time.perf_counter() - started, 1)
    path.with_suffix(".json").write_text(json.dumps(facts, indent=2))
    old.with_suffix(".json").unlink()
