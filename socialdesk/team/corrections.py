"""An agent's triage correction of a post (sentiment label, intent), for the whole team.

The correction is written on the team's post with the `corrected` bits the cache uses (1 sentiment,
2 intent), so the hub's re-sync of the post keeps it (team/hub_posts.py leaves triage alone) and every
desk applies it when the change feed brings the post again. The last correction written wins: a label
is not a set, and an agent who corrects a colleague's correction means to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialdesk.errors import UserError
from socialdesk.team import audit, roles

if TYPE_CHECKING:
    import psycopg

SENTIMENT_BIT = 1
INTENT_BIT = 2


def correct(
    conn: psycopg.Connection,
    network: str,
    native_id: str,
    agent: str,
    sentiment_label: str | None = None,
    intent: str | None = None,
) -> bool:
    """Set a post's sentiment label and/or intent as corrected, audited; whether anything changed.

    Raises:
        NotAllowed: `agent` is not an active team member.
        UserError: no such post in the team database, or nothing to correct.
    """
    if sentiment_label is None and intent is None:
        raise UserError("a correction needs a sentiment label or an intent")
    bits = (SENTIMENT_BIT if sentiment_label is not None else 0) | (INTENT_BIT if intent is not None else 0)
    with conn.transaction():
        roles.require(conn, agent, "correct")
        found = conn.execute(
            "SELECT id, conversation_id, sentiment_label, intent, corrected FROM posts "
            "WHERE network = %s AND native_id = %s FOR UPDATE",
            (network, native_id),
        ).fetchone()
        if found is None:
            raise UserError(f"no post {network}:{native_id} in the team database")
        post_id, conversation_id, old_label, old_intent, old_bits = found
        new_label = old_label if sentiment_label is None else sentiment_label
        new_intent = old_intent if intent is None else intent
        if (new_label, new_intent, old_bits | bits) == (old_label, old_intent, old_bits):
            return False  # the same correction again: the feed need not carry it round
        conn.execute(
            "UPDATE posts SET sentiment_label = %s, intent = %s, corrected = corrected | %s WHERE id = %s",
            (new_label, new_intent, bits, post_id),
        )
        audit.record(
            conn, agent, "correct", conversation_id, post_id, sentiment=sentiment_label, intent=intent
        )
    return True
