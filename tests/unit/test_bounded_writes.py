"""Storing posts keeps statement journals and changed pages in memory, for that transaction alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store
from socialdesk.store.db import BOUNDED_WRITES_CACHE_KIB, PAGE_CACHE_KIB
from tests.unit.test_sync_groups import PAGE, Backfill

MEMORY, DEFAULT = 2, 0  # PRAGMA temp_store's answers
BOUNDED = (MEMORY, False, -BOUNDED_WRITES_CACHE_KIB)
PLAIN = (DEFAULT, True, -PAGE_CACHE_KIB)


def settings(store: Store) -> tuple[int, bool, int]:
    """temp_store, whether the page cache may spill changed pages before the commit, and its size."""
    conn = store.conn
    temp_store, spill, size = (
        conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("temp_store", "cache_spill", "cache_size")
    )
    return int(temp_store), spill > 0, int(size)


def test_bounded_writes_hold_inside_the_transaction_and_are_put_back_after(store: Store) -> None:
    with store.transaction(bounded_writes=True):
        assert settings(store) == BOUNDED
        with store.transaction():  # a nested one joins it as it is
            assert settings(store) == BOUNDED
    assert settings(store) == PLAIN
    with pytest.raises(RuntimeError), store.transaction(bounded_writes=True) as conn:
        conn.execute("INSERT INTO customers (display_name, first_seen) VALUES ('x', 0)")
        raise RuntimeError("refused")
    assert settings(store) == PLAIN
    assert store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    with store.transaction():
        assert settings(store) == PLAIN


def test_a_temporary_table_made_outside_is_made_again_when_next_needed(store: Store) -> None:
    """Changing temp_store drops the connection's temporary tables (metrics rebuilds make theirs
    with IF NOT EXISTS each time): nothing breaks when one existed before a store."""
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS scratch (n INTEGER)")
    with store.transaction(bounded_writes=True):
        pass
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS scratch (n INTEGER)")
    store.conn.execute("INSERT INTO temp.scratch VALUES (1)")


def test_every_group_a_sync_stores_is_one_transaction_of_bounded_writes(store: Store) -> None:
    statements: list[str] = []
    store.conn.set_trace_callback(
        lambda sql: (
            statements.append(sql)
            if sql.startswith(("BEGIN", "COMMIT", "PRAGMA temp_store", "PRAGMA cache_s"))
            else None
        )
    )
    sync_source(store, Source("brand", Backfill(3 * PAGE)))
    store.conn.set_trace_callback(None)
    assert statements
    assert statements == [
        "PRAGMA temp_store = MEMORY",
        "PRAGMA cache_spill = OFF",
        f"PRAGMA cache_size = -{BOUNDED_WRITES_CACHE_KIB}",
        "BEGIN IMMEDIATE",
        "COMMIT",
        f"PRAGMA cache_size = -{PAGE_CACHE_KIB}",
        "PRAGMA cache_spill = ON",
        "PRAGMA temp_store = DEFAULT",
    ] * (len(statements) // 8)


# Counts this thread's read or write calls (Linux's /proc): the start of each script below.
_IO_CALLS = """
from pathlib import Path

def io_calls(kind):
    counts = dict(line.split(": ") for line in Path("/proc/thread-self/io").read_text().splitlines())
    return int(counts[kind])
"""

needs_proc_io = pytest.mark.skipif(
    not Path("/proc/thread-self/io").exists(), reason="counts this thread's calls from Linux's /proc"
)


def counts_in_own_process(script: str, folder: Path) -> list[int]:
    """Run `_IO_CALLS` + `script` with `folder` as its argument; the counts it printed."""
    done = subprocess.run(
        [sys.executable, "-c", _IO_CALLS + script, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return [int(n) for n in done.stdout.split()]


# Stores 1,000 posts in 200-post steps in one transaction, as a plain transaction then as bounded writes,
# and prints the write calls each made: first alone, then as in the desk, under SQLite's process-wide
# soft heap limit (`memory.limit_sqlite_page_caches`) with six other threads' page caches full. In a
# process of its own, so that no earlier test has set the limit or filled caches.
_COUNT_WRITES = """
import sqlite3
import sys
import threading
from socialdesk.memory import limit_sqlite_page_caches
from socialdesk.models import Author, Post
from socialdesk.store import Store

folder = Path(sys.argv[1])

posts = [
    Post("x", f"p{i}", Author(f"a{i % 37}", f"user{i % 37}"), f"order {i} never came, refund please", 1e9 + i)
    for i in range(1000)
]

def store_all(name):
    for bounded in (False, True):
        store = Store(folder / f"{name}-{bounded}.db")
        before = io_calls("syscw")
        with store.transaction(bounded_writes=bounded):
            for start in range(0, len(posts), 200):
                store.upsert_posts(posts[start : start + 200])
        print(io_calls("syscw") - before)
        store.close()

store_all("alone")
held = sqlite3.connect(folder / "held.db")
held.execute("CREATE TABLE pages (data BLOB)")
held.executemany("INSERT INTO pages VALUES (randomblob(3000))", [()] * 4000)
held.commit()
limit_sqlite_page_caches()
full, done = threading.Barrier(7), threading.Event()

def hold_a_full_cache():
    conn = sqlite3.connect(folder / "held.db")
    conn.execute("SELECT sum(length(data)) FROM pages").fetchone()
    full.wait()
    done.wait()

threads = [threading.Thread(target=hold_a_full_cache) for _ in range(6)]
for thread in threads:
    thread.start()
full.wait()
store_all("pressed")
done.set()
"""


@needs_proc_io
def test_storing_a_group_writes_no_statement_journal_and_no_page_before_the_commit(tmp_path: Path) -> None:
    """Once one statement's journal passes SQLite's 64 KiB, the rest of the transaction wrote every
    statement's journal through a temporary file; under the soft heap limit, the transaction also wrote
    its changed pages to the WAL before the commit: thousands of write calls per page of posts."""
    plain, bounded, plain_pressed, bounded_pressed = counts_in_own_process(_COUNT_WRITES, tmp_path)
    if plain < 2000:  # a build whose default keeps temporary files in memory (SQLITE_TEMP_STORE=3)
        pytest.skip("this SQLite keeps statement journals in memory already")
    assert bounded < plain / 10
    assert bounded_pressed < plain_pressed / 10
    assert bounded_pressed < 2 * bounded + 100  # the pressure changes nothing for bounded writes


# Stores 2,000 of the bench's posts (with their raw payloads: about 6 MB of changed pages, more than the
# plain page cache) into a cache of 10,000, as a plain transaction then as bounded writes, and prints the
# read calls each made. In a process of its own, for the same reason as above.
_COUNT_READS = """
import shutil
import sys
from socialdesk.bench.measure import ingest_posts
from socialdesk.store import Store

folder = Path(sys.argv[1])
posts = ingest_posts(12_000)
store = Store(folder / "stored.db")
store.upsert_posts(posts[:10_000])
store.close()
for bounded in (False, True):
    shutil.copy(folder / "stored.db", folder / f"{bounded}.db")
    store = Store(folder / f"{bounded}.db")
    before = io_calls("syscr")
    with store.transaction(bounded_writes=bounded):
        for start in range(10_000, len(posts), 200):
            store.upsert_posts(posts[start : start + 200])
    print(io_calls("syscr") - before)
    store.close()
"""


@needs_proc_io
def test_a_group_larger_than_the_page_cache_does_not_read_its_pages_again(tmp_path: Path) -> None:
    """A cache that may not spill drops each page it reads once its changed pages fill it: with the
    plain 2 MB cache, the bounded transaction read 2,067 times against the plain one's 311."""
    plain, bounded = counts_in_own_process(_COUNT_READS, tmp_path)
    assert bounded < 2 * plain
