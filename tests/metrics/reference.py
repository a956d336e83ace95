"""The metrics as they were computed before SQL did it (rows read into Python, figures in Python):
the oracle the SQL figures are checked against on random caches (tests/metrics/test_metrics_sql.py)."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import bisect
import datetime as dt
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from socialdesk.services.hours import ALWAYS, BusinessHours
from socialdesk.services.metrics import GROUPINGS, Figures, Period, Report, Volume, percentile
from socialdesk.services.survey_io import SATISFIED
from socialdesk.store import Store
from socialdesk.store.queries import PostFilter, filter_sql
from socialdesk.store.rows import read
from socialdesk.errors import UserError
from socialdesk.store import metrics_queries as mq

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


def backlog(conn: sqlite3.Connection, now: float) -> mq.Backlog:
    """Open actionable customer posts at `now` (the queue-count index finds them)."""
    marks = ",".join("?" * len(OPEN_STATUSES))
    size, oldest, hour, day = conn.execute(
        "SELECT count(*), min(created_at), total(created_at < ?), total(created_at < ?) "
        f"FROM posts WHERE status IN ({marks}) AND actionable = 1 AND is_ours = 0",
        (now - 3600, now - 86400, *OPEN_STATUSES),
    ).fetchone()
    return mq.Backlog(size, oldest, int(hour), int(day))


class ReferenceMetrics:
    """Computes reports from the cache; `queues` gives the saved queues' filters for `by="queue"`."""

    def __init__(
        self,
        store: Store,
        hours: BusinessHours = ALWAYS,
        queues: Callable[[], Iterable[tuple[str, PostFilter]]] = lambda: (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.hours = hours
        self.queues = queues
        self.clock = clock

    def report(self, period: Period, by: str | None = None) -> Report:
        """The figures for `period` compared with the one before, optionally broken down `by`."""
        if by is not None and by not in GROUPINGS:
            raise UserError(f"--by {by!r}: choose one of {', '.join(GROUPINGS)}")
        now = min(self.clock(), period.until)
        conn = self.store.conn
        posts = inbound(conn, period.since, period.until)
        replies = sent_replies(conn, period.since, period.until)
        changes = status_changes(conn, period.since, period.until)
        answers = survey_answers(conn, period.since, period.until)
        figures = self._figures(posts, replies, changes, now, answers)
        prev = period.previous()
        previous = self._figures(
            inbound(conn, prev.since, prev.until),
            sent_replies(conn, prev.since, prev.until),
            status_changes(conn, prev.since, prev.until),
            prev.until,
            survey_answers(conn, prev.since, prev.until),
        )
        groups = self._groups(by, period, posts, replies, changes, now, answers) if by else {}
        return Report(
            period, figures, previous, by, groups, self._volume(posts, period),
            backlog(conn, self.clock()), self.clock(),
        )  # fmt: skip

    # -- the figures -------------------------------------------------------------------------------

    def _figures(
        self,
        posts: Sequence[InboundPost],
        replies: Sequence[SentReply],
        changes: Sequence[StatusChange],
        now: float,
        answers: Sequence[SurveyAnswer] = (),
    ) -> Figures:
        clock = self.hours.seconds_between
        actionable = [p for p in posts if p.actionable]
        responses = [clock(p.created_at, p.first_response_at) for p in actionable if p.first_response_at]
        met = missed = 0
        for post in actionable:
            if post.due_at is None:
                continue
            target = max(0.0, post.due_at - post.created_at)  # the SLA target set at triage
            if post.first_response_at is not None:
                waited = clock(post.created_at, post.first_response_at)
                met, missed = (met + 1, missed) if waited <= target else (met, missed + 1)
            elif post.status not in ("resolved", "closed") and clock(post.created_at, now) > target:
                missed += 1  # still unanswered past its target (resolved without a reply: not measured)
        resolutions, reopened = self._resolutions(changes)
        return Figures(
            volume=len(posts),
            actionable=len(actionable),
            sentiment=dict(Counter(p.sentiment for p in posts if p.sentiment)),
            answered=len(responses),
            first_response_median=statistics.median(responses) if responses else None,
            first_response_p90=percentile(responses, 0.9),
            resolved=len(resolutions),
            resolution_median=statistics.median(resolutions) if resolutions else None,
            resolution_p90=percentile(resolutions, 0.9),
            reopened=reopened,
            sla_met=met,
            sla_missed=missed,
            replies=len(replies),
            csat_responses=len(answers),
            csat_average=statistics.fmean(a.score for a in answers) if answers else None,
            csat_satisfied=sum(a.score >= SATISFIED for a in answers),
        )

    def _resolutions(self, changes: Sequence[StatusChange]) -> tuple[list[float], int]:
        """Time to each resolution in the period (one per post), and how many resolved posts reopened."""
        durations: dict[int, float] = {}
        last: dict[int, str] = {}
        reopened = 0
        for change in changes:
            if change.status == "resolved" and change.post_id not in durations:
                durations[change.post_id] = self.hours.seconds_between(change.created_at, change.at)
            elif change.status in ("open", "new"):
                known = change.post_id in last
                if last[change.post_id] == "resolved" if known else self._was_resolved_before(change):
                    reopened += 1
            last[change.post_id] = change.status
        return list(durations.values()), reopened

    def _was_resolved_before(self, change: StatusChange) -> bool:
        row = self.store.conn.execute(
            "SELECT json_extract(detail, '$.status') FROM audit WHERE post_id = ? AND action = 'status' "
            "AND at < ? ORDER BY at DESC, id DESC LIMIT 1",
            (change.post_id, change.at),
        ).fetchone()
        return row is not None and row[0] == "resolved"

    # -- breakdowns ------------------------------------------------------------------------------

    def _groups(
        self,
        by: str,
        period: Period,
        posts: Sequence[InboundPost],
        replies: Sequence[SentReply],
        changes: Sequence[StatusChange],
        now: float,
        answers: Sequence[SurveyAnswer] = (),
    ) -> dict[str, Figures]:
        members: dict[str, set[int]] = defaultdict(set)
        if by == "network":
            for post in posts:
                members[post.network].add(post.id)
            for answer in answers:  # an answer in the period may rate a conversation from before it
                members[answer.network].add(answer.post_id)
        elif by == "tag":
            for post_id, tags in tags_of(self.store.conn, (p.id for p in posts)).items():
                for tag in tags:
                    members[tag].add(post_id)
        elif by == "queue":
            for name, flt in self.queues():
                members[name] = ids_matching(self.store.conn, flt, period.since, period.until)
        else:  # agent: the posts an agent answered first, or resolved, or holds
            for reply in replies:
                if reply.post_id is not None:
                    members[reply.agent or "?"].add(reply.post_id)
            for change in changes:
                members[change.agent].add(change.post_id)
            for answer in answers:
                members[answer.agent].add(answer.post_id)
        groups: dict[str, Figures] = {}
        for name, ids in sorted(members.items()):
            group_replies = [r for r in replies if (r.agent == name if by == "agent" else r.post_id in ids)]
            group_changes = [c for c in changes if (c.agent == name if by == "agent" else c.post_id in ids)]
            group_answers = [a for a in answers if (a.agent == name if by == "agent" else a.post_id in ids)]
            group_posts = [p for p in posts if p.id in ids]
            groups[name] = self._figures(group_posts, group_replies, group_changes, now, group_answers)
        return groups

    def _volume(self, posts: Sequence[InboundPost], period: Period) -> Volume:
        """Posts per network in each hour of the period (each day for periods over two days)."""
        zone = self.hours.zone
        daily = period.until - period.since > 2 * 86400
        starts: list[float] = []
        at = dt.datetime.fromtimestamp(period.since, zone)
        at = (
            at.replace(hour=0, minute=0, second=0, microsecond=0)
            if daily
            else at.replace(minute=0, second=0, microsecond=0)
        )
        while at.timestamp() < period.until:
            starts.append(at.timestamp())
            if daily:
                at = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time(), zone)
            else:
                at = dt.datetime.fromtimestamp(at.timestamp() + 3600, zone)
        counts: list[Counter[str]] = [Counter() for _ in starts]
        for post in posts:
            index = bisect.bisect_right(starts, post.created_at) - 1
            if index >= 0:
                counts[index][post.network] += 1
        return Volume("day" if daily else "hour", [(s, dict(c)) for s, c in zip(starts, counts, strict=True)])
