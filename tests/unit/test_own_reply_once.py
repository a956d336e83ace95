"""The agent's own reply shows once in its thread: as the outbox's until the network's copy arrives."""

from __future__ import annotations

from pathlib import Path

from socialdesk.models import Author, Post
from socialdesk.store import Store, queries, thread_replies


def customer_post() -> Post:
    return Post(
        network="bluesky",
        native_id="at://did:plc:carol/app.bsky.feed.post/1",
        author=Author(native_id="did:plc:carol", handle="carol.test"),
        text="where is my parcel?",
        created_at=1_000.0,
        account="brand",
    )


def test_a_sent_reply_shows_once_when_the_network_delivers_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.db")
    store.upsert_posts([customer_post()])
    post_id = store.conn.execute("SELECT id FROM posts").fetchone()[0]
    ours = "at://did:plc:brand/app.bsky.feed.post/2"
    store.conn.execute(
        "INSERT INTO replies (post_id, network, account, text, state, idempotency_key, remote_id, "
        "created_at, updated_at) VALUES (?, 'bluesky', 'brand', 'On its way!', 'sent', 'k', ?, 1001, 1001)",
        (post_id, ours),
    )
    assert thread_replies.in_threads(store.conn, [post_id]) == {
        post_id: [("On its way!", "sent", 1001.0, False)]
    }

    # The next sync (or the thread's refresh) brings our reply back from the network.
    store.upsert_posts(
        [
            Post(
                network="bluesky",
                native_id=ours,
                author=Author(native_id="did:plc:brand", handle="acme.test"),
                text="On its way!",
                created_at=1_001.0,
                account="brand",
                in_reply_to=customer_post().native_id,
                conversation_id=customer_post().native_id,
                kind="own",
                is_ours=True,
            )
        ]
    )
    thread = queries.thread(store.conn, post_id)
    assert thread is not None
    shown = [p.text for p in thread.posts] + [
        text
        for lines in thread_replies.in_threads(store.conn, [p.id for p in thread.posts]).values()
        for text, *_ in lines
    ]
    assert shown.count("On its way!") == 1
