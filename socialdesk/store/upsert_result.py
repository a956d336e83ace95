"""What a batch of posts did to the cache (`Store.upsert_posts`: a desk that only reads never needs it)."""

from __future__ import annotations

import msgspec


class UpsertResult(msgspec.Struct):
    """What one batch did to the cache."""

    inserted: list[int] = msgspec.field(default_factory=list)
    updated: int = 0
