"""The desk keeps SQLite's page caches, all threads' together, within one process-wide budget."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.bench.soak import sqlite_kib
from socialdesk.context import Context
from socialdesk.memory import SQLITE_PAGE_CACHES_MIB, limit_sqlite_page_caches


def soft_heap_limit(value: int = -1) -> int:
    """SQLite's soft heap limit of this process (set it when `value` is not negative); the old one."""
    conn = sqlite3.connect(":memory:")
    try:
        return int(conn.execute(f"PRAGMA soft_heap_limit = {value}").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def restored_limit() -> Iterator[None]:
    before = soft_heap_limit()
    yield
    soft_heap_limit(before)


@pytest.fixture
def big_cache(tmp_path: Path) -> Path:
    """A 24 MB database: enough pages to fill every connection's 2 MB page cache."""
    path = tmp_path / "big.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, text TEXT)")
    conn.executemany("INSERT INTO posts (text) VALUES (?)", ((f"{i:06}" * 500,) for i in range(8000)))
    conn.commit()
    conn.close()
    return path


def sqlite_growth_reading_in_threads(path: Path, threads: int = 8) -> int:
    """KiB SQLite holds with `threads` connections open, each having read the whole database once."""
    before = sqlite_kib()
    read, release = threading.Barrier(threads + 1), threading.Event()

    def desk_thread() -> None:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA cache_size = -2000")  # as store/db.py sets it
        conn.execute("SELECT sum(length(text)) FROM posts").fetchone()
        read.wait()
        release.wait()
        conn.close()

    workers = [threading.Thread(target=desk_thread) for _ in range(threads)]
    for worker in workers:
        worker.start()
    read.wait()
    held = sqlite_kib() - before
    release.set()
    for worker in workers:
        worker.join()
    return held


def test_connections_in_many_threads_share_the_budget_instead_of_filling_2_mb_each(
    big_cache: Path, restored_limit: None
) -> None:
    soft_heap_limit(0)
    assert sqlite_growth_reading_in_threads(big_cache) > 12 * 1024  # eight caches of about 2 MB
    limit_sqlite_page_caches(4)
    assert sqlite_growth_reading_in_threads(big_cache) < 5 * 1024


def test_the_desk_sets_the_budget_when_it_is_built(demo_context: Context, restored_limit: None) -> None:
    from socialdesk.cli import make_app

    soft_heap_limit(0)
    make_app(demo_context, sync=False, sources=[])
    assert soft_heap_limit() == SQLITE_PAGE_CACHES_MIB * 1024 * 1024
