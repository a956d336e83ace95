"""Fixtures for the triage tests: a cache on disk and a post factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from socialdesk.models import Author, Post
from socialdesk.store import Store

_ids = itertools.count(1)
NOW = 1_800_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh cache in a temporary file."""
    return Store(tmp_path / "cache.db")


@pytest.fixture
def make_post() -> Callable[..., Post]:
    """Build a Post with sensible defaults; keyword arguments override."""

    def make(text: str = "hello", **kw: object) -> Post:
        n = next(_ids)
        author = kw.pop("author", None) or Author(
            native_id=str(kw.pop("author_id", f"u{n}")),
            handle=str(kw.pop("handle", f"user{n}")),
            display_name=str(kw.pop("name", "")),
            followers=int(kw.pop("followers", 10)),  # type: ignore[call-overload]
        )
        fields: dict[str, object] = {
            "network": "x",
            "native_id": f"p{n}",
            "author": author,
            "text": text,
            "created_at": NOW - 3600 + n,
            "account": "brand",
        }
        fields.update(kw)
        return Post(**fields)  # type: ignore[arg-type]

    return make
