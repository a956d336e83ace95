"""Rows read by column name into records, the one keyset-page query every list of the cache uses, and
WHERE clauses joined into one condition."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from functools import cache
from typing import TypeVar, cast

import msgspec

T = TypeVar("T")


@cache
def _bool_fields(cls: object) -> frozenset[str]:
    """The fields of a struct typed `bool`: SQLite hands them back as 0 or 1."""
    if isinstance(cls, type) and issubclass(cls, msgspec.Struct):
        return frozenset(f.name for f in msgspec.structs.fields(cls) if f.type is bool)
    return frozenset()


@cache
def _builder(cls: Callable[..., T], names: tuple[str, ...]) -> Callable[[tuple[object, ...]], T]:
    """A function making `cls(name=value, ...)` from a row with these column names.

    Written out once per query shape, as `dataclasses` and `namedtuple` write their methods: a keyword
    call per row costs what a hand-written one does (a dict per row made feed pages twice as slow).
    """
    bools = _bool_fields(cls)
    for name in names:
        if not name.isidentifier():
            raise TypeError(f"column {name!r} is not a field name: name it with AS")
    args = ", ".join(f"{n}=bool(v[{i}])" if n in bools else f"{n}=v[{i}]" for i, n in enumerate(names))
    namespace: dict[str, object] = {"cls": cls}
    exec(f"def build(v):\n    return cls({args})", namespace)  # the names are identifiers (checked above)
    return cast("Callable[[tuple[object, ...]], T]", namespace["build"])


def read(cls: Callable[..., T], cursor: sqlite3.Cursor) -> Iterator[T]:
    """Each row of `cursor` as `cls(**{column name: value})`.

    The query names every column after the field it fills (`AS name` where an expression or a join
    needs it); a record's `bool` fields get real booleans. A column no field takes is a TypeError,
    so a query and its record cannot drift apart silently.
    """
    build = _builder(cls, tuple(d[0] for d in cursor.description))
    return map(build, cursor)


def marks(values: Collection[object]) -> str:
    """One `?` placeholder per value, comma-separated (for `IN (...)`)."""
    return ",".join("?" * len(values))


def json_array(values: Iterable[object]) -> str:
    """`values` as one JSON array: the one parameter of `IN (SELECT value FROM json_each(?))`.

    With a `?` per value, a lookup's SQL changes with how many values it has, and each length is a
    statement of its own. Every thread's connection keeps its last 128 statements prepared, tens of
    KiB each in SQLite's memory (which its soft heap limit cannot free): over a shift, one pool thread
    after another filled its cache with pages and sync batches of one-off lengths. One JSON array is
    one statement, whatever its length.
    """
    return json.dumps(list(values))


def read_one(cls: Callable[..., T], cursor: sqlite3.Cursor) -> T | None:
    """The first row of `cursor` as `cls` (see `read`), or None when there is none."""
    return next(read(cls, cursor), None)


def keyset_page(
    conn: sqlite3.Connection,
    cls: Callable[..., T],
    select: str,
    where: str,
    params: Sequence[object],
    key: Sequence[str],
    after: Sequence[object] | None,
    limit: int,
    *,
    descending: bool,
) -> tuple[list[T], bool]:
    """Up to `limit` rows strictly after `after` in `key` order, and whether more follow (never OFFSET).

    Args:
        cls: what each row becomes (see `read`).
        select: `SELECT columns FROM tables` (with any INDEXED BY hint).
        where: the rows' condition ("1" for all), with `params` for its placeholders.
        key: the sort columns, the last one unique (an id), so the position is exact.
        after: the key values of the last row already read (None: start at the first).
        limit: rows to return.
        descending: walk from the largest key down (else from the smallest up).
    """
    op, direction = ("<", "DESC") if descending else (">", "ASC")
    sql = f"{select} WHERE ({where})"
    args = list(params)
    if after is not None:
        sql += f" AND ({', '.join(key)}) {op} ({', '.join('?' * len(key))})"
        args += list(after)
    sql += f" ORDER BY {', '.join(f'{column} {direction}' for column in key)} LIMIT ?"
    rows = list(read(cls, conn.execute(sql, [*args, limit + 1])))
    return rows[:limit], len(rows) > limit


def where_sql(clauses: Iterable[str]) -> str:
    """Clauses as one WHERE condition, each in parentheses ("1" for none)."""
    return " AND ".join(f"({c})" for c in clauses) or "1"
