"""Bluesky threads refreshed when opened: posts deleted since they arrived are reported gone."""

from __future__ import annotations

from typing import Any

import pytest

from socialdesk.connectors.base import PostGone
from socialdesk.testing import Loopback, Reply, Request
from tests.connectors.test_bluesky import FakeBluesky, make

NOT_FOUND = "app.bsky.feed.defs#notFoundPost"


class FakeThreads(FakeBluesky):
    """getPostThread as @atproto/bsky answers it: NotFound for a deleted anchor, a #notFoundPost node
    for a deleted ancestor, deleted replies left out; deleted posts leave notifications and getPosts."""

    def __init__(self, server: Loopback) -> None:
        self._all: list[dict[str, Any]] = []  # every post made, deleted or not
        super().__init__(server)
        self.deleted: set[str] = set()
        server.route("GET", "/xrpc/app.bsky.feed.getPostThread", self.get_thread)

    def delete(self, item: dict[str, Any]) -> None:
        self.deleted.add(item["uri"])
        self.notifications = [n for n in self.notifications if n["uri"] != item["uri"]]

    def _views(self) -> dict[str, dict[str, Any]]:
        return {v["uri"]: v for v in self._all}

    def view(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        made = super().view(*args, **kwargs)
        self._all.append(made)
        return made

    def node(self, uri: str, up: bool) -> dict[str, Any]:
        if uri in self.deleted:
            return {"$type": NOT_FOUND, "uri": uri, "notFound": True}
        view = self._views()[uri]
        post = {k: view[k] for k in ("uri", "cid", "author", "record", "indexedAt", "labels")}
        node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": post}
        parent = (view["record"].get("reply") or {}).get("parent")
        if up and parent:
            node["parent"] = self.node(parent["uri"], up=True)
        if not up:
            children = [
                v["uri"]
                for v in self._all
                if (v["record"].get("reply") or {}).get("parent", {}).get("uri") == uri
                and v["uri"] not in self.deleted
            ]
            node["replies"] = [self.node(child, up=False) for child in children]
        return node

    def get_thread(self, request: Request) -> Reply:
        denied = self.authorized(request)
        if denied:
            return denied
        uri = str(request.arg("uri"))
        if uri in self.deleted or uri not in self._views():
            return Reply(400, {"error": "NotFound", "message": f"Post not found: {uri}"})
        thread = self.node(uri, up=False)
        above = self.node(uri, up=True)
        if "parent" in above:
            thread["parent"] = above["parent"]
        return Reply(200, {"thread": thread})


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeThreads:
    return FakeThreads(loopback_server)


def test_a_deleted_post_is_reported_gone(fake: FakeThreads, loopback_server: Loopback) -> None:
    post = fake.notify("where is my order?")
    connector = make(loopback_server)
    assert [p.native_id for p in connector.refresh_thread(post["uri"]).posts] == [post["uri"]]
    fake.delete(post)
    refreshed = connector.refresh_thread(post["uri"])
    assert refreshed.posts == [] and refreshed.deleted == [post["uri"]]
    with pytest.raises(PostGone):
        connector.fetch_thread(post["uri"])


def test_a_deleted_ancestor_and_reply_are_reported_or_left_out(
    fake: FakeThreads, loopback_server: Loopback
) -> None:
    root = fake.notify("my parcel is lost")
    middle = fake.notify("still nothing", reply_to=root)
    leaf = fake.notify("hello??", reply_to=middle)
    answer = fake.notify("found it, sorry", reply_to=middle)
    fake.delete(root)
    fake.delete(answer)
    refreshed = make(loopback_server).refresh_thread(middle["uri"])
    assert refreshed.deleted == [root["uri"]]
    assert [p.native_id for p in refreshed.posts] == [middle["uri"], leaf["uri"]]


def test_a_deleted_post_leaves_needs_reply_when_its_thread_is_opened(
    fake: FakeThreads, loopback_server: Loopback, tmp_path: Any
) -> None:
    from socialdesk.services.sync import Source, sync_source
    from socialdesk.services.threads import refresh_thread
    from socialdesk.store import Store
    from socialdesk.store.queries import get_post

    post = fake.notify("where is my order?")
    store = Store(tmp_path / "cache.db")
    sync_source(store, Source("bsky", make(loopback_server)))
    post_id = store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (post["uri"],)).fetchone()[0]
    focus = get_post(store.conn, post_id)
    assert focus is not None and focus.status == "new" and focus.actionable
    fake.delete(post)
    refreshed = refresh_thread(store, make(loopback_server), focus)
    assert refreshed.deleted == [post_id]
    after = get_post(store.conn, post_id)
    assert after is not None and after.deleted_at is not None and not after.actionable
