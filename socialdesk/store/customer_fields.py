"""Fields an agent keeps on a customer (e-mail, order number, CRM id): read, written, audited by callers."""

from __future__ import annotations

import sqlite3
import time

FIELDS = ("email", "order", "crm_id")  # in the order the profile shows them


def read(conn: sqlite3.Connection, customer_id: int) -> dict[str, str]:
    """The customer's fields that are set, by name."""
    rows = conn.execute("SELECT name, value FROM customer_fields WHERE customer_id = ?", (customer_id,))
    return {name: value for name, value in rows}


def write(conn: sqlite3.Connection, customer_id: int, values: dict[str, str], agent: str) -> dict[str, str]:
    """Set the given fields (an empty value removes one); returns the fields that changed, new values."""
    before = read(conn, customer_id)
    changed = {name: value for name, value in values.items() if before.get(name, "") != value}
    now = time.time()
    for name, value in changed.items():
        if value:
            conn.execute(
                "INSERT INTO customer_fields (customer_id, name, value, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, name) DO UPDATE SET"
                " value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (customer_id, name, value, now, agent),
            )
        else:
            conn.execute(
                "DELETE FROM customer_fields WHERE customer_id = ? AND name = ?", (customer_id, name)
            )
    return changed
