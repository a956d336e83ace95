"""Each account's auth state, kept in the cache: marked when the network refuses its credentials,
cleared when they work again, so `doctor`, the desk and a later headless sync all know."""

from __future__ import annotations

import sqlite3

import msgspec

FIRST_WAIT = 300.0  # seconds a headless sync leaves an account alone after its first refusal
LONGEST_WAIT = 6 * 3600.0  # the wait doubles with each refusal, up to this


class AuthMark(msgspec.Struct, frozen=True):
    """An account the network refused: why, when, how many times in a row, and when to try again."""

    account: str
    message: str
    at: float
    failures: int
    retry_at: float


def mark_needs_auth(conn: sqlite3.Connection, account: str, message: str, now: float) -> AuthMark:
    """Record a refusal (a 401, a revoked password); the retry time backs off with each one in a row."""
    row = conn.execute("SELECT failures FROM account_auth WHERE account = ?", (account,)).fetchone()
    failures = (int(row[0]) if row else 0) + 1
    mark = AuthMark(
        account, message, now, failures, now + min(LONGEST_WAIT, FIRST_WAIT * 2 ** (failures - 1))
    )
    conn.execute(
        "INSERT INTO account_auth (account, message, at, failures, retry_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (account) DO UPDATE SET message = excluded.message, at = excluded.at, "
        "failures = excluded.failures, retry_at = excluded.retry_at",
        (mark.account, mark.message, mark.at, mark.failures, mark.retry_at),
    )
    return mark


def clear_auth(conn: sqlite3.Connection, account: str) -> bool:
    """Forget an account's refusal (its credentials worked); True when there was one."""
    return conn.execute("DELETE FROM account_auth WHERE account = ?", (account,)).rowcount > 0


def auth_marks(conn: sqlite3.Connection) -> dict[str, AuthMark]:
    """Every account currently marked as needing auth."""
    return {
        row[0]: AuthMark(row[0], row[1], float(row[2]), int(row[3]), float(row[4]))
        for row in conn.execute("SELECT account, message, at, failures, retry_at FROM account_auth")
    }
