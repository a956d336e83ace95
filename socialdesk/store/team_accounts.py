"""A team desk's copy of what the hub published of each account: server limits and refused credentials."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from typing import Any


def put_accounts(conn: sqlite3.Connection, rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Keep the hub's account rows: limits into `account_limits` (the composer's and `reply`'s), the
    credentials' state into `team_accounts`; (account, why) of each account newly refused."""
    newly: list[tuple[str, str]] = []
    for row in rows:
        if row["max_length"] is not None:
            conn.execute(
                "INSERT INTO account_limits (account, max_length, url_weight, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET max_length = excluded.max_length, "
                "url_weight = excluded.url_weight, updated_at = excluded.updated_at",
                (row["account"], row["max_length"], row["url_weight"], time.time()),
            )
        before = conn.execute(
            "SELECT refused FROM team_accounts WHERE account = ?", (row["account"],)
        ).fetchone()
        if row["refused"] and (before is None or before[0] != row["refused"]):
            newly.append((str(row["account"]), str(row["refused"])))
        conn.execute(
            "INSERT INTO team_accounts (account, network, refused, refused_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account) DO UPDATE SET network = excluded.network, refused = excluded.refused, "
            "refused_at = excluded.refused_at",
            (row["account"], row["network"], row["refused"], row["refused_at"]),
        )
    return newly


def refused(conn: sqlite3.Connection) -> dict[str, str]:
    """Every account whose credentials the network refuses to the hub, with why (as last read)."""
    return {
        str(a): str(r)
        for a, r in conn.execute(
            "SELECT account, refused FROM team_accounts WHERE refused <> '' ORDER BY account"
        )
    }
