"""Which hub leads each account: a session advisory lock, a `hub_leases` row with an epoch, and fencing.

A hub leads an account while it holds the session-level advisory lock (HUB_LOCK_CLASS,
lock_key(account)) on its leadership connection, and the account's `hub_leases` row names it with
the epoch it got when it took the lock. The lock makes leadership exclusive and ends with the
session (a killed hub's lock is gone as soon as the server sees its connection close); the row's
epoch is a fencing token: every write a leader makes for the account starts with `fence`, a share
lock on that row refused unless the epoch is still the writer's and its lease has not run out. A
takeover updates the row (epoch + 1), so it waits for the old leader's writes in flight, and every
later one is refused. A holder that stops renewing (a frozen process) keeps its session's lock:
once its lease has ended, a contender ends that session (`pg_terminate_backend`) and takes over.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    import psycopg

# Advisory lock class of the hubs' per-account locks (class 1 is the schema's, see team/schema.py).
HUB_LOCK_CLASS = 2
DEFAULT_LEASE = 15.0


def lock_key(account: str) -> int:
    """The advisory lock key of an account: CRC-32 of its name, as a non-negative int4."""
    return zlib.crc32(account.encode("utf-8")) & 0x7FFFFFFF


class Lease(msgspec.Struct, frozen=True):
    """One hub's leadership of one account, as granted or last renewed."""

    account: str
    holder: str
    epoch: int
    until: float  # server time (team_now()) when it ends unless renewed


class Fenced(Exception):
    """A write for an account the hub no longer leads (a newer epoch took over, or its lease ended)."""


_TAKE = """
INSERT INTO hub_leases (account, holder, epoch, acquired_at, lease_until)
VALUES (%(account)s, %(holder)s, 1, team_now(), team_now() + %(lease)s)
ON CONFLICT (account) DO UPDATE SET holder = EXCLUDED.holder, epoch = hub_leases.epoch + 1,
    acquired_at = EXCLUDED.acquired_at, lease_until = EXCLUDED.lease_until
RETURNING epoch, lease_until
"""
# The sessions holding an account's lock, in this database (the two-int form puts the class in
# classid, the key in objid, and 2 in objsubid).
_HOLDERS = """
SELECT l.pid FROM pg_locks l
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %(class)s AND l.objid = %(key)s
  AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid <> pg_backend_pid()
"""


def try_lead(
    conn: psycopg.Connection, account: str, holder: str, lease: float = DEFAULT_LEASE
) -> Lease | None:
    """Take the lead of `account` if no live hub has it; None when one does.

    Args:
        conn: the hub's leadership connection (autocommit); the lock lives as long as its session.
        holder: this hub's name (shown in `hub_leases` and the audit log).
        lease: seconds the lead lasts unless renewed.
    """
    key = lock_key(account)
    held = _lock(conn, key) or (_end_stuck_holder(conn, account, key) and _lock(conn, key))
    if not held:
        return None
    with conn.transaction():
        row = conn.execute(_TAKE, {"account": account, "holder": holder, "lease": lease}).fetchone()
    assert row is not None
    return Lease(account, holder, int(row[0]), float(row[1]))


def _lock(conn: psycopg.Connection, key: int) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (HUB_LOCK_CLASS, key)).fetchone()
    return bool(row and row[0])


def _end_stuck_holder(conn: psycopg.Connection, account: str, key: int) -> bool:
    """End the session of a holder whose lease ran out without renewal; True when one was ended."""
    row = conn.execute(
        "SELECT lease_until < team_now() FROM hub_leases WHERE account = %s", (account,)
    ).fetchone()
    if row is None or not row[0]:
        return False
    import psycopg

    ended = False
    for (pid,) in conn.execute(_HOLDERS, {"class": HUB_LOCK_CLASS, "key": key}).fetchall():
        try:
            done = conn.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()
        except psycopg.errors.InsufficientPrivilege:  # another login's session: only its lease can end
            continue
        ended = ended or bool(done and done[0])
    return ended


def renew(conn: psycopg.Connection, lease: Lease, seconds: float = DEFAULT_LEASE) -> Lease | None:
    """Extend a lead this hub still holds (same epoch); None when another hub has taken over."""
    row = conn.execute(
        "UPDATE hub_leases SET lease_until = team_now() + %s "
        "WHERE account = %s AND holder = %s AND epoch = %s RETURNING lease_until",
        (seconds, lease.account, lease.holder, lease.epoch),
    ).fetchone()
    if row is None:
        return None
    return Lease(lease.account, lease.holder, lease.epoch, float(row[0]))


def release(conn: psycopg.Connection, lease: Lease) -> None:
    """Give up a lead (a clean stop): the lease ends now and the lock is freed for the next hub."""
    conn.execute(
        "UPDATE hub_leases SET lease_until = team_now() WHERE account = %s AND holder = %s AND epoch = %s",
        (lease.account, lease.holder, lease.epoch),
    )
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (HUB_LOCK_CLASS, lock_key(lease.account)))


def fence(conn: psycopg.Connection, lease: Lease) -> None:
    """First statement of every leader's write transaction: hold the lease row, or refuse.

    Raises:
        Fenced: the epoch is no longer this hub's, or its lease has ended.
    """
    row = conn.execute(
        "SELECT 1 FROM hub_leases WHERE account = %s AND holder = %s AND epoch = %s "
        "AND lease_until > team_now() FOR SHARE",
        (lease.account, lease.holder, lease.epoch),
    ).fetchone()
    if row is None:
        raise Fenced(f"hub {lease.holder} no longer leads {lease.account} (epoch {lease.epoch} is over)")


def leader(conn: psycopg.Connection, account: str) -> Lease | None:
    """The account's current lease row (it may have run out), None when no hub ever led it."""
    row = conn.execute(
        "SELECT holder, epoch, lease_until FROM hub_leases WHERE account = %s", (account,)
    ).fetchone()
    return None if row is None else Lease(account, str(row[0]), int(row[1]), float(row[2]))
