"""Finds a reply X may already have (it has no idempotency key): our posts or DM events since the attempt.

Before any retry the outbox asks `find_sent`; this module looks through everything the account
posted (or sent in the DM conversation) since the first attempt, for the same text to the same
place. When X cannot show back that far it says so (CannotTell) and the agent decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from socialdesk.connectors.base import CannotTell, OutgoingReply, SendResult
from socialdesk.connectors.http import Query, QueryValue, parse_time

MAX_PAGES = 5  # reconciliation looks back at most this many pages of our own posts or DMs
CLOCK_SLACK = 120.0  # seconds our clock and X's may differ when comparing a post's time to an attempt's

# One page of a list: (path, query) -> X's answer (a 403 already turned into CannotTell or AuthError).
ReadPage = Callable[[str, Query], dict[str, Any]]


def _norm(text: str) -> str:
    # X rewrites links to t.co and may prefix reply mentions: compare what is left.
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"^(@\w+\s+)+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(item: dict[str, Any]) -> float:
    try:
        return parse_time(item.get("created_at"))
    except ValueError:
        return float("inf")  # no usable time: treat as recent, never as proof of having looked far enough


def post_url(native_id: str) -> str:
    """The web address of a post on X."""
    return f"https://x.com/i/web/status/{native_id}"


def find_sent(read: ReadPage, me: str, reply: OutgoingReply) -> SendResult | None:
    """Our posts (or DM events) since the first attempt: the same text to the same place means sent.

    Args:
        read: reads one page of a list for our account.
        me: our account's user id.
        reply: the reply that may have been sent.

    Raises:
        CannotTell: X cannot show everything since the attempt (too many pages, no dm.read).
    """
    since = reply.first_attempt_at - CLOCK_SLACK if reply.first_attempt_at is not None else None
    if reply.dm:
        return _find_dm(read, me, reply, since)
    params: dict[str, QueryValue] = {
        "max_results": 100,
        "tweet.fields": "referenced_tweets,created_at",
        "exclude": "retweets",
    }
    if since is not None:
        params["start_time"] = _iso(since)
    wanted = _norm(reply.text)
    for page in _pages(read, f"/2/users/{quote(me)}/tweets", params):
        for tweet in page:
            references = tweet.get("referenced_tweets") or []
            parents = {str(r.get("id")) for r in references if r.get("type") == "replied_to"}
            if reply.in_reply_to and reply.in_reply_to not in parents:
                continue
            if _norm(str(tweet.get("text") or "")) == wanted:
                return SendResult(native_id=str(tweet["id"]), url=post_url(str(tweet["id"])))
    return None


def _find_dm(read: ReadPage, me: str, reply: OutgoingReply, since: float | None) -> SendResult | None:
    """Our message in the conversation with the recipient, sent after the first attempt."""
    if not reply.to_native_id:
        raise CannotTell("X: no recipient to look the direct message up with")
    wanted = _norm(reply.text)
    params: dict[str, QueryValue] = {
        "dm_event.fields": "id,text,sender_id,created_at,event_type",
        "event_types": "MessageCreate",
        "max_results": 100,
    }
    path = f"/2/dm_conversations/with/{quote(reply.to_native_id)}/dm_events"
    for page in _pages(read, path, params, older_than=since):
        for event in page:
            if str(event.get("sender_id")) != me or _norm(str(event.get("text") or "")) != wanted:
                continue
            if since is None or _time(event) >= since:
                return SendResult(native_id=str(event["id"]), url="")
    return None


def _pages(
    read: ReadPage, path: str, params: dict[str, QueryValue], older_than: float | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Newest-first pages until the list ends (or reaches `older_than`); CannotTell past MAX_PAGES."""
    token = None
    for _ in range(MAX_PAGES):
        data = read(path, {**params, **({"pagination_token": token} if token else {})})
        page = [i for i in data.get("data") or [] if isinstance(i, dict)]
        yield page
        token = (data.get("meta") or {}).get("next_token")
        if not token or (older_than is not None and any(_time(i) < older_than for i in page)):
            return
    raise CannotTell(f"X: more posts since the attempt than {MAX_PAGES} pages show")
