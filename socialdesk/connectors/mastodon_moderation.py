"""Mastodon blocks, mutes and spam reports (/api/v1/accounts/:id/block|mute, /api/v1/reports).

GoToSocial and Takahē serve the same paths. Each answers a Relationship (block, mute) or a Report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from socialdesk.connectors.base import ModerationTarget, PermanentError, TransientError
from socialdesk.connectors.http import Api

REPORT_COMMENT_MAX = 1000  # Mastodon refuses a longer report comment


class MastodonModeration:
    """`moderate` for the Mastodon connector (mixed in; uses its `api` and `_auth`)."""

    api: Api
    _auth: Callable[[], dict[str, str]]
    moderation = frozenset({"block", "mute", "report"})

    def moderate(self, action: str, target: ModerationTarget) -> str:
        """Block or mute the account (a Relationship comes back), or report it as spam with the post."""
        account = quote(target.author_id, safe="")
        if action in ("block", "mute"):
            body: dict[str, Any] = {} if action == "block" else {"notifications": True, "duration": 0}
            data = self.api.post_json(
                f"/api/v1/accounts/{account}/{action}", body, headers=self._auth(), idempotent=True
            )
            flag = "blocking" if action == "block" else "muting"
            if not isinstance(data, dict) or data.get(flag) is not True:
                raise TransientError(f"Mastodon: the server answered the {action} without {flag}: true")
            return f"@{target.handle} {'blocked' if action == 'block' else 'muted'}"
        if action == "report":
            report: dict[str, Any] = {
                "account_id": target.author_id,
                "category": "spam",
                "comment": target.comment[:REPORT_COMMENT_MAX],
                "forward": False,
            }
            if target.post_id:
                report["status_ids"] = [target.post_id]
            data = self.api.post_json("/api/v1/reports", report, headers=self._auth(), idempotent=False)
            if not isinstance(data, dict) or not data.get("id"):
                raise TransientError("Mastodon: the server accepted the report but returned no id")
            return f"@{target.handle} reported as spam (report {data['id']})"
        raise PermanentError(f"Mastodon cannot {action} an account")
