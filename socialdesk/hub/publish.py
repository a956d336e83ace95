"""Publishes what a hub syncs for an account into the team's PostgreSQL: each page with its cursor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from socialdesk.connectors.base import FetchResult
from socialdesk.store import Store
from socialdesk.store.aliases import canonical_ids, folded
from socialdesk.store.automation_queries import newest_notice_id
from socialdesk.store.hub_pages import raised_notices, stored_posts
from socialdesk.team import hub_posts
from socialdesk.team.hub_leases import Lease

if TYPE_CHECKING:
    import psycopg

    from socialdesk.services.sync import Source


class Publisher:
    """The sync engine's `on_page` for one account a hub leads (services.sync.sync_source).

    The hub syncs into its own cache with the solo desk's code (connectors, triage, storing), and
    each page, once stored and triaged there, goes to PostgreSQL in one fenced transaction with the
    cursor; inside the cache's transaction, so the cache never runs ahead of the shared database.
    The cursor a sync starts from is PostgreSQL's (`seed`): a new leader goes on where the last left.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        store: Store,
        source: Source,
        lease: Lease,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn, self.store, self.source, self.lease, self.clock = conn, store, source, lease, clock
        self.published = hub_posts.Published()
        self._notices_after = newest_notice_id(store.conn)  # the cache's notices published from here

    def seed(self) -> None:
        """Start the cache's cursor of the account from the team's (where the last leader stopped)."""
        self.store.set_cursor(self.source.name, hub_posts.cursor_of(self.conn, self.source.name))
        self._notices_after = newest_notice_id(self.store.conn)

    def __call__(self, result: FetchResult) -> None:
        keys = [(p.network, p.native_id) for p in result.posts]
        network = self.source.network
        gone = (
            canonical_ids(self.store.conn, network, self.source.name, result.deleted)
            if result.deleted
            else []
        )
        posts = stored_posts(self.store.conn, keys)
        # The team's aliases (team/post_aliases.py): each status's uri, and the ids the cache folded in.
        uris = {(p.network, p.native_id): p.uri for p in result.posts if p.uri}
        known = folded(self.store.conn, network, [p["native_id"] for p in posts]) if uris else {}
        # What the playbook's rules raised as the page was stored (`notify`): the team's notices.
        notices = raised_notices(self.store.conn, self._notices_after, keys)
        for post in posts:
            post["uri"] = uris.get((post["network"], post["native_id"]), "")
            post["aliases"] = known.get(post["native_id"], [])
            post["notices"] = notices.get((post["network"], post["native_id"]), [])
        done = hub_posts.publish_page(
            self.conn,
            self.lease,
            posts,
            [(network, native_id) for native_id in gone],
            result.cursor,
            self.clock(),
        )
        self.published.inserted += done.inserted
        self.published.updated += done.updated
