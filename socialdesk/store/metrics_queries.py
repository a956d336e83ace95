"""The reads behind the metrics: one period's inbound posts, replies, status changes and the backlog.

Every read is a range over an index on time (posts by created_at, replies by state and time, audit by
action and time, survey answers by answer time) or a count over the queue index: none scans the posts
table. The figures themselves (medians, business-hours clocks) are computed from these rows in
`services/metrics.py`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from socialdesk.store.queries import PostFilter, filter_sql
from socialdesk.store.rows import read

OPEN_STATUSES = ("new", "open", "escalated")


@dataclass(frozen=True, slots=True)
class InboundPost:
    """What the metrics need of one customer post."""

    id: int
    network: str
    created_at: float
    first_response_at: float | None
    actionable: bool
    sentiment: str
    status: str
    assigned_to: str
    due_at: float | None


@dataclass(frozen=True, slots=True)
class SentReply:
    """A reply that reached the network (a thread of parts counts once, by its first part)."""

    post_id: int | None
    network: str
    agent: str
    sent_at: float


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An agent's status change on a conversation, from the audit log."""

    post_id: int
    status: str
    agent: str
    at: float
    created_at: float  # when the post acted on arrived


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """A satisfaction survey answer, with the conversation's network and the agent it rates."""

    post_id: int
    network: str
    agent: str
    score: int
    answered_at: float


@dataclass(frozen=True, slots=True)
class Backlog:
    """Open actionable customer posts right now, and how old they are."""

    size: int
    oldest: float | None
    older_than_hour: int
    older_than_day: int


def inbound(conn: sqlite3.Connection, since: float, until: float) -> list[InboundPost]:
    """Customer posts that arrived in [since, until) (deleted ones too: they were received)."""
    rows = conn.execute(
        "SELECT id, network, created_at, first_response_at, actionable, sentiment_label AS sentiment, "
        "status, assigned_to, due_at FROM posts INDEXED BY posts_feed "
        "WHERE created_at >= ? AND created_at < ? AND is_ours = 0",
        (since, until),
    )
    return list(read(InboundPost, rows))


def ids_matching(conn: sqlite3.Connection, flt: PostFilter, since: float, until: float) -> set[int]:
    """Which customer posts of [since, until) a saved queue's filter selects now."""
    where, params = filter_sql(flt)
    sql = (
        "SELECT p.id FROM posts p INDEXED BY posts_feed "
        f"WHERE p.created_at >= ? AND p.created_at < ? AND p.is_ours = 0{' AND ' + where if where else ''}"
    )
    return {r[0] for r in conn.execute(sql, (since, until, *params))}


def tags_of(conn: sqlite3.Connection, post_ids: Iterable[int]) -> dict[int, list[str]]:
    """The tags of these posts (read in chunks of the SQLite variable limit)."""
    ids = list(post_ids)
    tags: dict[int, list[str]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for post_id, tag in conn.execute(
            f"SELECT post_id, tag FROM post_tags WHERE post_id IN ({marks})", chunk
        ):
            tags.setdefault(post_id, []).append(tag)
    return tags


def sent_replies(conn: sqlite3.Connection, since: float, until: float) -> list[SentReply]:
    """Replies sent in [since, until): the time a reply's state last changed is when it was sent."""
    rows = conn.execute(
        "SELECT post_id, network, agent, updated_at AS sent_at FROM replies INDEXED BY replies_state_time "
        "WHERE state = 'sent' AND updated_at >= ? AND updated_at < ? AND part = 1",
        (since, until),
    )
    return list(read(SentReply, rows))


def status_changes(conn: sqlite3.Connection, since: float, until: float) -> list[StatusChange]:
    """Agents' status changes in [since, until), oldest first, with when each post arrived."""
    rows = conn.execute(
        "SELECT a.post_id, IFNULL(json_extract(a.detail, '$.status'), '') AS status, a.agent, a.at, "
        "p.created_at "
        "FROM audit a INDEXED BY audit_action_time JOIN posts p ON p.id = a.post_id "
        "WHERE a.action = 'status' AND a.at >= ? AND a.at < ? ORDER BY a.at, a.id",
        (since, until),
    )
    return list(read(StatusChange, rows))


def survey_answers(conn: sqlite3.Connection, since: float, until: float) -> list[SurveyAnswer]:
    """Survey answers given in [since, until); the agent rated is the one whose reply was sent last
    before the answer (the survey invitation, usually), else whoever holds the conversation."""
    rows = conn.execute(
        "SELECT s.post_id, p.network, coalesce((SELECT r.agent FROM replies r INDEXED BY replies_post "
        "WHERE r.post_id = s.post_id AND r.state = 'sent' AND r.updated_at <= s.answered_at "
        "ORDER BY r.updated_at DESC, r.id DESC LIMIT 1), nullif(p.assigned_to, ''), '?') AS agent, s.score, "
        "s.answered_at FROM survey_answers s INDEXED BY survey_answers_time JOIN posts p ON p.id = s.post_id "
        "WHERE s.answered_at >= ? AND s.answered_at < ?",
        (since, until),
    )
    return list(read(SurveyAnswer, rows))


def backlog(conn: sqlite3.Connection, now: float) -> Backlog:
    """Open actionable customer posts at `now` (the queue-count index finds them)."""
    marks = ",".join("?" * len(OPEN_STATUSES))
    size, oldest, hour, day = conn.execute(
        "SELECT count(*), min(created_at), total(created_at < ?), total(created_at < ?) "
        f"FROM posts WHERE status IN ({marks}) AND actionable = 1 AND is_ours = 0",
        (now - 3600, now - 86400, *OPEN_STATUSES),
    ).fetchone()
    return Backlog(size, oldest, int(hour), int(day))
