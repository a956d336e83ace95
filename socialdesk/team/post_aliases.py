"""The team's post aliases: a status our accounts see under several ids is one post, whichever hub leads.

Each Mastodon server gives a status its own id, so two of our accounts on two servers deliver one
status under two native ids. A hub's cache folds them into one post (store/aliases.py), but only for
what that cache has seen: a new leader starts with a fresh one, and two hubs may lead two accounts.
So the team keeps its own record, written in the leader's fenced page transaction (team/hub_posts.py):
`post_uris` holds the identity (native id, account) a status, by its ActivityPub uri, was first
published under, and `post_aliases` each other id of ours for it. A page's post that the team knows
under another id is not stored again, and posts answering it or in its thread point at the team's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

_CANONICAL = """
SELECT u.native_id FROM post_aliases a JOIN post_uris u ON u.network = a.network AND u.uri = a.uri
WHERE a.network = %s AND a.native_id = %s
"""


class Aliases:
    """The team's aliases as one page transaction sees them (looked up only once the network has any).

    Args:
        conn: the hub's work connection, inside the page's fenced transaction.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self._any: dict[str, bool] = {}

    def _has_any(self, network: str) -> bool:
        if network not in self._any:
            row = self.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM post_aliases WHERE network = %s)", (network,)
            )
            self._any[network] = bool(row.fetchone()[0])  # type: ignore[index]
        return self._any[network]

    def canonical(self, network: str, native_id: str) -> str:
        """The id the team stores a status under, given any of our accounts' ids for it."""
        if not self._has_any(network):
            return native_id
        row = self.conn.execute(_CANONICAL, (network, native_id)).fetchone()
        return native_id if row is None else str(row[0])

    def settle(
        self, network: str, native_id: str, account: str, uri: str, known: Iterable[tuple[str, str]]
    ) -> str:
        """Record a published post's uri, with the ids `known` (native id, account) the hub's cache
        folded into it; the id the team stores the status under (the post's own, or the first one).
        """
        if not uri:
            return native_id
        self.conn.execute(
            "INSERT INTO post_uris (network, uri, native_id, account) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (network, uri, native_id, account),
        )
        row = self.conn.execute(
            "SELECT native_id FROM post_uris WHERE network = %s AND uri = %s", (network, uri)
        ).fetchone()
        assert row is not None  # inserted above, or by an earlier transaction: never deleted
        first = str(row[0])
        others = [(nid, by) for nid, by in ((native_id, account), *known) if nid != first]
        for nid, by in others:
            self.conn.execute(
                "INSERT INTO post_aliases (network, native_id, account, uri) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (network, nid, by, uri),
            )
        if others:
            self._any[network] = True
        return first
