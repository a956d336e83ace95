"""Storing posts keeps each statement's journal in memory, and only for the transaction that stores them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store
from tests.unit.test_sync_groups import PAGE, Backfill

MEMORY, DEFAULT = 2, 0  # PRAGMA temp_store's answers


def temp_store(store: Store) -> int:
    return int(store.conn.execute("PRAGMA temp_store").fetchone()[0])


def test_the_journals_are_in_memory_inside_the_transaction_and_put_back_after(store: Store) -> None:
    with store.transaction(statement_journals_in_memory=True):
        assert temp_store(store) == MEMORY
        with store.transaction():  # a nested one joins it as it is
            assert temp_store(store) == MEMORY
    assert temp_store(store) == DEFAULT
    with pytest.raises(RuntimeError), store.transaction(statement_journals_in_memory=True) as conn:
        conn.execute("INSERT INTO customers (display_name, first_seen) VALUES ('x', 0)")
        raise RuntimeError("refused")
    assert temp_store(store) == DEFAULT
    assert store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0
    with store.transaction():
        assert temp_store(store) == DEFAULT


def test_a_temporary_table_made_outside_is_made_again_when_next_needed(store: Store) -> None:
    """Changing the setting drops the connection's temporary tables (metrics rebuilds make theirs
    with IF NOT EXISTS each time): nothing breaks when one existed before a store."""
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS scratch (n INTEGER)")
    with store.transaction(statement_journals_in_memory=True):
        pass
    store.conn.execute("CREATE TEMP TABLE IF NOT EXISTS scratch (n INTEGER)")
    store.conn.execute("INSERT INTO temp.scratch VALUES (1)")


def test_every_group_a_sync_stores_is_one_transaction_with_its_journals_in_memory(store: Store) -> None:
    statements: list[str] = []
    store.conn.set_trace_callback(
        lambda sql: (
            statements.append(sql) if sql.startswith(("BEGIN", "COMMIT", "PRAGMA temp_store")) else None
        )
    )
    sync_source(store, Source("brand", Backfill(3 * PAGE)))
    store.conn.set_trace_callback(None)
    assert statements
    assert statements == [
        "PRAGMA temp_store = MEMORY",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "PRAGMA temp_store = DEFAULT",
    ] * (len(statements) // 4)


# Stores 1,000 posts in 200-post steps in one transaction, journals in a file then in memory, and prints
# the write calls each made. In a process of its own: after the suite's desk tests, SQLite's process-wide
# soft heap limit (`memory.limit_sqlite_page_caches`) is set and other threads' connections hold full
# page caches, so this transaction's page cache writes its pages out before the commit: 17,159 write calls
# in memory mode there, against 214 here.
_COUNT_WRITES = """
import sys
from pathlib import Path
from socialdesk.models import Author, Post
from socialdesk.store import Store

def write_calls():
    for line in Path("/proc/thread-self/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])

posts = [
    Post("x", f"p{i}", Author(f"a{i % 37}", f"user{i % 37}"), f"order {i} never came, refund please", 1e9 + i)
    for i in range(1000)
]
for name, in_memory in (("file", False), ("memory", True)):
    store = Store(Path(sys.argv[1]) / f"{name}.db")
    before = write_calls()
    with store.transaction(statement_journals_in_memory=in_memory):
        for start in range(0, len(posts), 200):
            store.upsert_posts(posts[start : start + 200])
    print(write_calls() - before)
    store.close()
"""


@pytest.mark.skipif(
    not Path("/proc/thread-self/io").exists(), reason="counts this thread's write calls from Linux's /proc"
)
def test_storing_a_group_writes_its_statement_journals_to_no_file(tmp_path: Path) -> None:
    """Once one statement's journal passes SQLite's 64 KiB, the rest of the transaction wrote every
    statement's journal through a temporary file: thousands of write calls per page of posts."""
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_WRITES, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    to_file, in_memory = (int(n) for n in done.stdout.split())
    if to_file < 2000:  # a build whose default keeps temporary files in memory (SQLITE_TEMP_STORE=3)
        pytest.skip("this SQLite keeps statement journals in memory already")
    assert in_memory < to_file / 10
