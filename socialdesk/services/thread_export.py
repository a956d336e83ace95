"""A conversation as text for other programs: plain text to read, or JSON to parse (for `|`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TypedDict

from socialdesk.models import PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import ThreadDetail


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AuthorJson(TypedDict):
    """A post's author as the JSON export gives it."""

    handle: str
    name: str


class PostJson(TypedDict):
    """One post of the JSON export (times as ISO 8601 UTC)."""

    id: int
    network: str
    native_id: str
    url: str
    author: AuthorJson
    ours: bool
    created_at: str
    text: str
    status: str
    tags: list[str]
    deleted: bool
    focus: bool


def _post_json(post: PostRow, focus: int) -> PostJson:
    return {
        "id": post.id,
        "network": post.network,
        "native_id": post.native_id,
        "url": post.url,
        "author": {"handle": post.author_handle, "name": post.author_name},
        "ours": post.is_ours,
        "created_at": _when(post.created_at),
        "text": post.text,
        "status": post.status,
        "tags": list(post.tags),
        "deleted": post.deleted_at is not None,
        "focus": post.id == focus,
    }


def thread_json(detail: ThreadDetail) -> str:
    """The thread as one JSON object: the posts in reading order, our outbox replies and the notes.

    Text is exact (JSON escapes control characters), so a script sees what the customer wrote.
    """
    thread = detail.thread
    body = {
        "focus": thread.focus.id,
        "posts": [_post_json(p, thread.focus.id) for p in thread.posts],
        "outbox": [
            {"post": post_id, "text": reply.text, "state": reply.state, "at": _when(reply.at), "dm": reply.dm}
            for post_id, rows in sorted(detail.replies.items())
            for reply in rows
        ],
        "notes": [{"agent": agent, "text": text, "at": _when(at)} for agent, text, at in detail.notes],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def thread_text(detail: ThreadDetail) -> str:
    """The thread as plain text, one block per post, with control and bidi characters neutralised."""
    blocks = []
    for post in detail.thread.posts:
        who = "us" if post.is_ours else f"@{clean(post.author_handle, single_line=True)}"
        mark = " (this post)" if post.id == detail.thread.focus.id else ""
        gone = " [deleted]" if post.deleted_at is not None else ""
        head = f"{who} · {post.network} · {_when(post.created_at)}{mark}{gone}"
        blocks.append(f"{head}\n{clean(post.text)}")
    for agent, text, at in detail.notes:
        blocks.append(f"note by {clean(agent, single_line=True)} · {_when(at)}\n{clean(text)}")
    return "\n\n".join(blocks) + "\n"
