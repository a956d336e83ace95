"""Who will see a reply before it is sent, in the words of the connector that will send it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from socialdesk.config import AccountSettings
from socialdesk.connectors.registry import UnknownConnector, load_connector
from socialdesk.models import PostRow
from socialdesk.store import Store
from socialdesk.store.queries import raw_payload


def reply_audience(store: Store, accounts: Sequence[AccountSettings], post: PostRow, dm: bool) -> str:
    """The audience of a reply to `post` ("followers-only reply", "direct message" ...).

    The connector decides from the post's stored payload and the account's options, exactly as
    it will when sending (a Mastodon reply is never more public than the post it answers).
    """
    account = next((a for a in accounts if a.name == post.account), None)
    try:
        cls = load_connector(account.connector if account is not None else post.network)
    except UnknownConnector:
        return "direct message" if dm else "public reply"
    try:
        raw = json.loads(raw_payload(store.conn, post.id) or "{}")
    except ValueError:
        raw = {}
    return cls.reply_audience(raw, dm, account.options if account is not None else {})
