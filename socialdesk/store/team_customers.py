"""A team desk's copy of the team's customer fields: applied to the cached customers of each identity."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any


def identities(conn: sqlite3.Connection, customer_id: int) -> list[tuple[str, str]]:
    """A cached customer's identities: (network, native id) of each, as the team knows authors."""
    return [
        (str(n), str(i))
        for n, i in conn.execute(
            "SELECT network, native_id FROM identities WHERE customer_id = ? ORDER BY id", (customer_id,)
        )
    ]


def put_customer_fields(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> set[int]:
    """Apply the team's field values to the cached customers with that identity; the customers changed.

    An identity this cache does not hold is left: the team writes a field on an author whose posts
    it holds, and the feed brings a table's posts before its customer fields.
    """
    changed: set[int] = set()
    for row in rows:
        for (customer_id,) in conn.execute(
            "SELECT customer_id FROM identities WHERE network = ? AND native_id = ?",
            (row["network"], row["author_native_id"]),
        ).fetchall():
            if row["value"]:
                cur = conn.execute(
                    "INSERT INTO customer_fields (customer_id, name, value, updated_at, updated_by) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, name) DO UPDATE SET "
                    "value = excluded.value, updated_at = excluded.updated_at, "
                    "updated_by = excluded.updated_by "
                    "WHERE customer_fields.value IS NOT excluded.value",
                    (customer_id, row["name"], row["value"], row["updated_at"], row["updated_by"]),
                )
            else:
                cur = conn.execute(
                    "DELETE FROM customer_fields WHERE customer_id = ? AND name = ?",
                    (customer_id, row["name"]),
                )
            if cur.rowcount:
                changed.add(int(customer_id))
    return changed
