"""Bluesky blocks, mutes and spam reports, as the AT Protocol defines them.

A block is a public record in our repo (`app.bsky.graph.block`, subject: their DID, created with
com.atproto.repo.createRecord); a mute is private state kept by the AppView (`app.bsky.graph.muteActor`,
through the PDS); a report goes to the moderation service (`com.atproto.moderation.createReport`, the
post as a strongRef, uri and cid, or the account as a repoRef when the cid is unknown).
"""

from __future__ import annotations

import time
from typing import Any

from socialdesk.connectors.atproto_session import XrpcSession
from socialdesk.connectors.base import ModerationTarget, PermanentError, TransientError

BLOCK = "app.bsky.graph.block"
REASON_SPAM = "com.atproto.moderation.defs#reasonSpam"
REPORT_REASON_MAX = 2000  # the lexicon's maxGraphemes for `reason`


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _cid(raw: object) -> str:
    """The post's cid from its stored payload (a post view, or a notification: both carry `cid`)."""
    if not isinstance(raw, dict):
        return ""
    post = raw.get("post")
    view: dict[str, Any] = post if isinstance(post, dict) else raw
    return str(view.get("cid") or "")


class BlueskyModeration:
    """`moderate` for the Bluesky connector (mixed in; calls through its session, `xrpc`)."""

    moderation = frozenset({"block", "mute", "report"})
    xrpc: XrpcSession

    def moderate(self, action: str, target: ModerationTarget) -> str:
        """Block (a record), mute (AppView state) or report as spam; returns what the network confirmed."""
        if not target.author_id.startswith("did:"):
            raise PermanentError(f"Bluesky: {target.author_id!r} is not a DID")
        if action == "block":
            record = {"$type": BLOCK, "subject": target.author_id, "createdAt": _now()}
            data = self.xrpc.call(
                "POST",
                "com.atproto.repo.createRecord",
                body={"repo": self.xrpc.did, "collection": BLOCK, "record": record},
                idempotent=False,
            )
            if not isinstance(data, dict) or not data.get("uri"):
                raise TransientError("Bluesky: the block was accepted but no record uri came back")
            return f"@{target.handle} blocked"
        if action == "mute":
            self.xrpc.call(
                "POST",
                "app.bsky.graph.muteActor",
                body={"actor": target.author_id},
                idempotent=True,
                output=False,
            )
            return f"@{target.handle} muted"
        if action == "report":
            cid = _cid(target.post_raw)
            subject: dict[str, Any] = (
                {"$type": "com.atproto.repo.strongRef", "uri": target.post_id, "cid": cid}
                if cid and target.post_id.startswith("at://")
                else {"$type": "com.atproto.admin.defs#repoRef", "did": target.author_id}
            )
            body = {
                "reasonType": REASON_SPAM,
                "reason": target.comment[:REPORT_REASON_MAX],
                "subject": subject,
            }
            data = self.xrpc.call("POST", "com.atproto.moderation.createReport", body=body, idempotent=False)
            report = data.get("id") if isinstance(data, dict) else None
            return f"@{target.handle} reported as spam" + (
                f" (report {report})" if report is not None else ""
            )
        raise PermanentError(f"Bluesky cannot {action} an account")
