"""Blocking, muting and reporting an author as spam, through the network of the post, audited."""

from __future__ import annotations

import json
from collections.abc import Callable

from socialdesk.connectors.base import Connector, ConnectorError, ModerationTarget
from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.store import Store, queries

ACTIONS = {"block": "Block", "mute": "Mute", "report": "Report as spam"}
# What each does, said in the review before anything is sent.
EFFECTS = {
    "block": "They can no longer follow, mention or message this account; their posts stop arriving.",
    "mute": "Their posts and mentions stop reaching this account; they are not told.",
    "report": "The network's moderators receive this post as spam, with your comment.",
}


def target_of(store: Store, post_id: int, comment: str = "") -> tuple[str, str, ModerationTarget]:
    """The network, our account and the target for a post's author.

    Raises:
        UserError: the post is gone, or is one of ours.
    """
    post = queries.get_post(store.conn, post_id)
    if post is None:
        raise UserError("That post is no longer in the cache")
    if post.is_ours:
        raise UserError("That is our own post: select the customer's post")
    try:
        raw = json.loads(queries.raw_payload(store.conn, post_id) or "{}")
    except ValueError:
        raw = {}
    target = ModerationTarget(
        post.author_native_id,
        post.author_handle,
        post.native_id,
        raw if isinstance(raw, dict) else {},
        comment,
    )
    return post.network, post.account, target


def moderate(
    store: Store,
    resolve: Callable[[str, str], Connector],
    agent: str,
    post_id: int,
    action: str,
    comment: str = "",
) -> str:
    """Do `action` to the post's author through its network as our account; audit what happened.

    Returns what the network confirmed, in words.

    Raises:
        UserError: the action is unknown or not offered there, or the network refused (one line).
    """
    if action not in ACTIONS:
        raise UserError(f"Unknown action {action!r} (known: {', '.join(ACTIONS)})")
    network, account, target = target_of(store, post_id, comment)
    connector = resolve(network, account)
    detail = {"network": network, "account": account, "target": f"@{target.handle}"}
    if action not in connector.moderation:
        name = connector.display_name or network
        raise UserError(f"{name} offers no way to {ACTIONS[action].lower()} through its API")
    try:
        result = connector.moderate(action, target)
    except ConnectorError as exc:
        why = clean(str(exc), single_line=True)[:200]
        store.audit(agent, f"moderation.{action}.failed", post_id, **detail, error=why)
        raise UserError(f"{ACTIONS[action]} @{target.handle} failed: {why}") from None
    finally:
        connector.close()
    store.audit(agent, f"moderation.{action}", post_id, **detail, result=result)
    return result
