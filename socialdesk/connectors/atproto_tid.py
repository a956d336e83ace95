"""AT Protocol record keys (TIDs), and a reply's key derived from its idempotency key."""

from __future__ import annotations

import hashlib

_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs use
_TID_EPOCH_2024 = 1_704_067_200_000_000


def tid(micros: int, clock_id: int) -> str:
    """A TID record key: 53 bits of microseconds and 10 bits of clock id, base32-sortable."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_S32[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def rkey_for(idempotency_key: str, created_at: float | None = None) -> str:
    """The record key of a reply, the same on every retry.

    The time part is the reply's creation time when known (so keys sort like real TIDs), moved
    later by under a second by the key: the parts of a split reply share their creation time, and
    the 10 bits of clock id alone would give two of them one key about once in 1,000 pairs. Without
    a time it is a time derived from the key; the clock id always comes from the key.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    clock_id = int.from_bytes(digest[:2], "big")
    if created_at is not None:
        micros = int(created_at * 1_000_000) + int.from_bytes(digest[2:6], "big") % 1_000_000
    else:
        micros = _TID_EPOCH_2024 + int.from_bytes(digest[2:10], "big") % (365 * 86_400 * 1_000_000)
    return tid(micros, clock_id)


def legacy_rkey_for(idempotency_key: str, created_at: float) -> str:
    """The key `rkey_for` gave a reply with a creation time before keys were moved by the key, so
    a reply sent then is still found (and never sent again)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    return tid(int(created_at * 1_000_000), int.from_bytes(digest[:2], "big"))
