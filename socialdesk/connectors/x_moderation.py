"""X mutes and blocks (POST /2/users/:id/muting and /blocking, body {"target_user_id"}).

X's API v2 has no spam report. Blocking is offered on the Enterprise plan only: elsewhere X answers
403 "client-not-enrolled", which for a block is that plain fact, not a token to authorise again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from socialdesk.connectors.base import ConnectorError, ModerationTarget, PermanentError, TransientError
from socialdesk.connectors.http import Api


class XModeration:
    """`moderate` for the X connector (mixed in; uses its `api`, `_authorized`, `_forbidden`, `_me_id`)."""

    moderation = frozenset({"block", "mute"})
    api: Api
    _me_id: Callable[[], str]
    _authorized: Callable[[Callable[[dict[str, str]], Any]], Any]
    _forbidden: Callable[[bytes], ConnectorError]

    def moderate(self, action: str, target: ModerationTarget) -> str:
        """Mute or block the author as our account; X answers {"data": {"muting"|"blocking": true}}."""
        if action not in ("mute", "block"):
            raise PermanentError(f"X's API offers no way to {action} an account")
        edge = "muting" if action == "mute" else "blocking"
        path = f"/2/users/{quote(self._me_id())}/{edge}"
        body = {"target_user_id": target.author_id}
        response: httpx.Response = self._authorized(
            lambda headers: self.api.request("POST", path, json_body=body, headers=headers, ok=(403,))
        )
        if response.status_code == 403:
            if action == "block" and _reason(response.content) == "client-not-enrolled":
                raise PermanentError("X offers blocking through its API on the Enterprise plan only")
            raise self._forbidden(response.content)
        data = self.api.json(response)
        state = data.get("data") if isinstance(data, dict) else None
        if not isinstance(state, dict) or state.get(edge) is not True:
            raise TransientError(f"X: the {action} was answered without {edge}: true")
        return f"@{target.handle} {'muted' if action == 'mute' else 'blocked'}"


def _reason(content: bytes) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        return ""
    return str(data.get("reason") or "") if isinstance(data, dict) else ""
