"""What the team did about the bench cache's customer posts: a reply sent from the desk to most
actionable ones and, for resolved ones, the resolution in the audit log (a few reopened first), so the
metrics' response, resolution, SLA and per-agent figures are real ones on the bench cache."""

from __future__ import annotations

import math
import random

import msgspec

from socialdesk.bench.corpus import AGENTS, END, Record
from socialdesk.connectors import demo_corpus

INSERT_REPLY = (
    "INSERT INTO replies (post_id, network, account, text, state, idempotency_key, agent, created_at, "
    "updated_at) VALUES (?, ?, 'bench', ?, 'sent', ?, ?, ?, ?)"
)
INSERT_STATUS = "INSERT INTO audit (at, agent, action, post_id, detail) VALUES (?, ?, 'status', ?, ?)"
RESOLVED, OPENED = '{"status": "resolved"}', '{"status": "open"}'


class Care(msgspec.Struct):
    """One customer post's first reply (a `replies` row) and status changes (`audit` rows)."""

    first_response_at: float | None = None
    reply: tuple[object, ...] | None = None
    changes: list[tuple[object, ...]] = msgspec.field(default_factory=list)


def care(rng: random.Random, post_id: int, record: Record, status: str, actionable: int, agent: str) -> Care:
    """The team's work on one post, given its triage (status, actionable, assignee).

    Most actionable posts get a reply, after a log-normal delay (median 20 minutes); resolved ones are
    resolved a log-normal while after it (median 2 hours), and 3% of them were resolved too early,
    opened again when the customer wrote back, and resolved once more.
    """
    done = Care()
    if record.is_ours or not actionable:
        return done
    agent = agent or rng.choice(AGENTS[-3:])
    answer_chance = 0.97 if status == "resolved" else 0.15 if status == "new" else 0.7
    replied = record.created_at + rng.lognormvariate(math.log(1200), 1.2)
    if rng.random() < answer_chance and replied < END:
        done.first_response_at = replied
        text = rng.choice(demo_corpus.OUR_REPLIES).format(name="there", agent=agent)
        done.reply = (post_id, record.network, text, f"bench-{post_id}", agent, replied - 20, replied)
    if status != "resolved":
        return done
    after = done.first_response_at or record.created_at
    resolved = min(END - 1, after + rng.lognormvariate(math.log(7200), 1))
    if rng.random() < 0.03:
        early = record.created_at + (resolved - record.created_at) * rng.uniform(0.2, 0.6)
        done.changes += [(early, agent, post_id, RESOLVED), (early + 60, agent, post_id, OPENED)]
    done.changes.append((resolved, agent, post_id, RESOLVED))
    return done
