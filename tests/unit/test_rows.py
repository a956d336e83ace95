"""Rows are read by column name, and the one keyset-page query walks a table exactly once either way."""

from __future__ import annotations

import sqlite3

import msgspec
import pytest

from socialdesk.store.rows import keyset_page, read, read_one


class Item(msgspec.Struct):
    id: int
    rank: int
    name: str
    flagged: bool = False


@pytest.fixture
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, rank INTEGER, name TEXT, flagged INTEGER)")
    # Ranks repeat, so only (rank, id) orders the rows exactly.
    conn.executemany(
        "INSERT INTO items VALUES (?, ?, ?, ?)", [(i, i % 4, f"item {i}", i % 3 == 0) for i in range(1, 24)]
    )
    return conn


def test_columns_fill_the_fields_of_their_name_whatever_their_order(conn: sqlite3.Connection) -> None:
    item = read_one(Item, conn.execute("SELECT name, flagged, rank, id FROM items WHERE id = 3"))
    assert item == Item(id=3, rank=3, name="item 3", flagged=True)
    assert item is not None and item.flagged is True  # SQLite's 1, as a bool


def test_a_column_without_a_field_is_an_error_not_a_silent_drift(conn: sqlite3.Connection) -> None:
    with pytest.raises(TypeError):
        list(read(Item, conn.execute("SELECT id, rank, name, flagged, 1 AS extra FROM items")))


def test_an_expression_must_be_named_after_its_field(conn: sqlite3.Connection) -> None:
    with pytest.raises(TypeError, match="AS"):
        list(read(Item, conn.execute("SELECT id, rank + 1, name FROM items")))
    item = read_one(Item, conn.execute("SELECT id, rank + 1 AS rank, name FROM items WHERE id = 1"))
    assert item is not None and item.rank == 2


def test_a_missing_row_is_none(conn: sqlite3.Connection) -> None:
    assert read_one(Item, conn.execute("SELECT id, rank, name FROM items WHERE id = 99")) is None


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_every_matching_row_once_in_order(
    conn: sqlite3.Connection, descending: bool
) -> None:
    seen: list[Item] = []
    after: tuple[int, int] | None = None
    more = True
    while more:
        rows, more = keyset_page(
            conn,
            Item,
            "SELECT id, rank, name, flagged FROM items",
            "name != ?",
            ["item 7"],
            ("rank", "id"),
            after,
            5,
            descending=descending,
        )
        assert len(rows) <= 5 and (rows or not more)
        seen += rows
        after = (rows[-1].rank, rows[-1].id) if rows else after
    expected = sorted(
        (r for r in read(Item, conn.execute("SELECT * FROM items")) if r.name != "item 7"),
        key=lambda r: (r.rank, r.id),
        reverse=descending,
    )
    assert seen == expected and len(seen) == 22
