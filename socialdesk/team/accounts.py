"""What the hub publishes of each account for the desks: its server's limits and its credentials' state.

Desks never talk to the networks, so only the hub learns an account's real limit (a Mastodon
instance's `max_characters`) and that the network refused its credentials. A row is written only
when something changed, so the hub's syncs add nothing to the change feed while all stays the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.team.hub_leases import Lease, fence

if TYPE_CHECKING:
    import psycopg


def publish(
    conn: psycopg.Connection,
    lease: Lease,
    network: str,
    limits: tuple[int, int] | None,
    refused: str = "",
    refused_at: float | None = None,
) -> bool:
    """Record the leased account's limits (max length, characters a URL counts; None: never announced)
    and why the network refuses its credentials ("" when they work); whether the team's row changed.

    Fenced like every write of a leader (team/hub_leases.py): the row names the hub and the lease
    epoch that wrote it.

    Raises:
        Fenced: the hub no longer leads the account; nothing was written.
    """
    max_length, url_weight = limits or (None, 0)
    with conn.transaction():
        fence(conn, lease)
        row = conn.execute(
            "INSERT INTO accounts AS a (account, network, max_length, url_weight, refused, refused_at, hub, "
            "epoch) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (account) DO UPDATE SET "
            "network = excluded.network, max_length = excluded.max_length, url_weight = excluded.url_weight, "
            "refused = excluded.refused, refused_at = excluded.refused_at, hub = excluded.hub, "
            "epoch = excluded.epoch, updated_at = team_now() "
            "WHERE (a.network, a.max_length, a.url_weight, a.refused, a.refused_at) IS DISTINCT FROM "
            "(excluded.network, excluded.max_length, excluded.url_weight, excluded.refused, "
            "excluded.refused_at) RETURNING 1",
            (
                lease.account,
                network,
                max_length,
                url_weight,
                refused,
                refused_at if refused else None,
                lease.holder,
                lease.epoch,
            ),
        ).fetchone()
    return row is not None
