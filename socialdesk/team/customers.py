"""A customer's fields (e-mail, order number, CRM id) for the whole team, by the customer's identities.

A customer is known to the team by an identity, (network, the author's native id), as the hub stores
posts; a desk's customer may have several (identities it linked), and its fields are written on each.
The last write of a field wins, as a value is not a set: an agent who corrects a colleague's e-mail
means to. A removed field keeps its row with value '' (the change feed carries the removal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg


def set_fields(
    conn: psycopg.Connection,
    agent: str,
    identities: Sequence[tuple[str, str]],
    values: Mapping[str, str],
) -> dict[str, str]:
    """Set fields ("" removes one) on each identity, in one transaction, audited; those that changed.

    Raises:
        NotAllowed: `agent` is not an active team member.
        UserError: no identity given.
    """
    if not identities:
        raise UserError("a customer's fields need one of the customer's identities")
    changed: dict[str, str] = {}
    with conn.transaction():
        roles.require(conn, agent, "customer")
        for network, native_id in identities:
            for name, value in values.items():
                row = conn.execute(
                    "INSERT INTO customer_fields AS f (network, author_native_id, name, value, updated_by) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (network, author_native_id, name) DO UPDATE "
                    "SET value = excluded.value, updated_by = excluded.updated_by, updated_at = team_now() "
                    "WHERE f.value IS DISTINCT FROM excluded.value RETURNING 1",
                    (network, native_id, name, value, agent),
                ).fetchone()
                if row is not None:
                    changed[name] = value
        if changed:
            audit.record(
                conn, agent, "customer.fields", identities=[list(i) for i in identities], changed=changed
            )
    return changed
