"""Shared set-up for outbox tests: a cache holding posts to answer, and a fake clock."""

from __future__ import annotations

from pathlib import Path

from socialdesk.models import Author, Post
from socialdesk.store import Store


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def make_store(path: Path, network: str = "mastodon", account: str = "support", posts: int = 3) -> Store:
    """A cache with `posts` customer posts (native ids 100, 101 ...) on one account."""
    store = Store(path)
    store.upsert_posts(
        Post(
            network=network,
            native_id=str(100 + i),
            author=Author(native_id=f"a{i}", handle=f"user{i}@other.example", display_name=f"User {i}"),
            text=f"help me please #{i}",
            created_at=1_600_000_000.0 + i,
            account=account,
            url=f"https://other.example/@user{i}/{100 + i}",
        )
        for i in range(posts)
    )
    return store


def post_id(store: Store, native_id: str) -> int:
    """The cache id of a post."""
    return int(store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (native_id,)).fetchone()[0])
