"""The desk's posts from Bluesky post views and notifications, and from a getPostThread answer."""

from __future__ import annotations

from typing import Any

from socialdesk.connectors.bluesky_views import embedded_quote, quote_text, self_labels, show_link_hosts
from socialdesk.connectors.http import parse_time
from socialdesk.models import Author, Post

POST_TYPE = "app.bsky.feed.post"
NOT_FOUND = "app.bsky.feed.defs#notFoundPost"


def post_from_view(view: dict[str, Any], kind: str, raw: Any, account: str, our_did: str | None) -> Post:
    """A Post from a post view or a notification (raises KeyError/TypeError/ValueError on a bad shape).

    Args:
        view: the post view or notification.
        kind: what brought it (mention, reply, search); "own" when `our_did` wrote it.
        raw: the payload to keep.
        account: our account that saw it.
        our_did: our account's DID, when logged in.
    """
    record = view["record"]
    if record.get("$type", POST_TYPE) != POST_TYPE:
        raise ValueError(f"not a post record: {record.get('$type')!r}")
    author = view["author"]
    uri = str(view["uri"])
    if not uri.startswith("at://"):
        raise ValueError(f"not an at:// uri: {uri!r}")
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri") or uri
    created = parse_time(record["createdAt"])
    if view.get("indexedAt"):
        created = min(created, parse_time(view["indexedAt"]))  # a client-set date in the future
    is_ours = author["did"] == our_did
    handle = str(author["handle"])
    quoted = embedded_quote(view)
    return Post(
        network="bluesky",
        native_id=uri,
        author=Author(
            native_id=str(author["did"]),
            handle=handle,  # bare: the desk adds the "@"
            display_name=str(author.get("displayName") or ""),
            followers=int(author.get("followersCount") or 0),
            url=f"https://bsky.app/profile/{handle}",
        ),
        text=show_link_hosts(str(record.get("text") or ""), record.get("facets"))
        + (quote_text(quoted) if quoted is not None else ""),
        created_at=created,
        account=account,
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
        in_reply_to=parent,
        conversation_id=root,
        kind="own" if is_ours else kind,
        lang=str((record.get("langs") or [""])[0]),
        content_warning=self_labels(record, view),
        is_ours=is_ours,
        raw=raw if isinstance(raw, dict) else {"item": raw},
    )


def thread_views(node: object) -> tuple[list[dict[str, Any]], list[str]]:
    """The post views of a getPostThread node (ancestors first, then the post and its replies,
    breadth first) and the uris it marks gone (#notFoundPost)."""
    gone: list[str] = []
    chain: list[dict[str, Any]] = []
    parent = node.get("parent") if isinstance(node, dict) else None
    while isinstance(parent, dict):
        if parent.get("$type") == NOT_FOUND and parent.get("uri"):
            gone.append(str(parent["uri"]))  # a deleted ancestor ends the chain
            break
        if not isinstance(parent.get("post"), dict):
            break  # blocked, or cut off
        chain.insert(0, parent["post"])
        parent = parent.get("parent")
    queue = [node] if isinstance(node, dict) else []
    while queue:
        current = queue.pop(0)
        if current.get("$type") == NOT_FOUND and current.get("uri"):
            gone.append(str(current["uri"]))
        if isinstance(current.get("post"), dict):
            chain.append(current["post"])
        queue.extend(r for r in current.get("replies") or [] if isinstance(r, dict))
    return chain, gone
