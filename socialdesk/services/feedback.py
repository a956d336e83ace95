"""Product feedback for the product team: posts tagged as ideas or feedback, grouped by what they say,
with how many distinct customers said each, newest first, as CSV or Markdown.

Posts in the similar-posts index (the last week or so) are grouped by similarity, the way `C` groups
them in the desk; older ones by their normalised words (case, links, mentions, numbers and stopwords
left out), so the same request written twice still counts once per customer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

import msgspec

from socialdesk import similarity
from socialdesk.sanitize import clean
from socialdesk.store import similar_index as si

FEEDBACK_TAGS = ("idea", "feedback", "feature-request")
FORMATS = ("csv", "md")
MAX_TEXT = 280
_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets would run as a formula


class FeedbackPost(msgspec.Struct, frozen=True):
    """One tagged customer post."""

    id: int
    network: str
    customer: str  # the customer record, else the author on that network
    text: str
    url: str
    created_at: float


class FeedbackItem(msgspec.Struct, frozen=True):
    """Posts saying the same thing: the newest one's words, who said it, where and when."""

    text: str
    url: str
    customers: int
    posts: int
    networks: tuple[str, ...]
    first_at: float
    last_at: float


def tagged_posts(
    conn: sqlite3.Connection, since: float, until: float, tags: Sequence[str] = FEEDBACK_TAGS
) -> list[FeedbackPost]:
    """Customer posts of [since, until) carrying any of `tags` (found through the tag index)."""
    marks = ",".join("?" * len(tags))
    rows = conn.execute(
        "SELECT DISTINCT p.id, p.network, coalesce('c' || p.customer_id, p.network || ':' || "
        "p.author_native_id), p.text, p.url, p.created_at FROM post_tags t INDEXED BY post_tags_tag "
        f"JOIN posts p ON p.id = t.post_id WHERE t.tag IN ({marks}) AND p.is_ours = 0 "
        "AND p.created_at >= ? AND p.created_at < ?",
        (*tags, since, until),
    )
    return [FeedbackPost(*row) for row in rows]


def _normalised(text: str) -> str:
    words = similarity.terms(text)
    return " ".join(sorted(w for w in words if " " not in w)) or " ".join(clean(text).casefold().split())


def group(conn: sqlite3.Connection, posts: Sequence[FeedbackPost], since: float) -> list[FeedbackItem]:
    """Group posts that say the same thing; the items newest first (by their latest post)."""
    parent = {p.id: p.id for p in posts}

    def root(post_id: int) -> int:
        while parent[post_id] != post_id:
            parent[post_id] = parent[parent[post_id]]
            post_id = parent[post_id]
        return post_id

    def join(a: int, b: int) -> None:
        parent[root(a)] = root(b)

    by_text: dict[str, int] = {}
    for post in posts:
        for other in si.similar_posts(conn, post.id, since):  # [] when not indexed
            if other in parent:
                join(post.id, other)
        key = _normalised(post.text)
        if key in by_text:
            join(post.id, by_text[key])
        else:
            by_text[key] = post.id
    groups: dict[int, list[FeedbackPost]] = defaultdict(list)
    for post in posts:
        groups[root(post.id)].append(post)
    items = []
    for members in groups.values():
        newest = max(members, key=lambda p: (p.created_at, p.id))
        items.append(
            FeedbackItem(
                text=clean(newest.text, single_line=True)[:MAX_TEXT],
                url=clean(newest.url, single_line=True),
                customers=len({p.customer for p in members}),
                posts=len(members),
                networks=tuple(sorted({p.network for p in members})),
                first_at=min(p.created_at for p in members),
                last_at=newest.created_at,
            )
        )
    return sorted(items, key=lambda i: (-i.last_at, -i.customers, i.text))


def feedback(conn: sqlite3.Connection, since: float, until: float) -> list[FeedbackItem]:
    """The period's product feedback, grouped, newest first."""
    return group(conn, tagged_posts(conn, since, until), since)


def _when(ts: float, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(ts, zone).isoformat(timespec="minutes")


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text (a leading =, +, - or @ would make it a formula)."""
    return "'" + text if text.startswith(_FORMULA) else text


def as_csv(items: Sequence[FeedbackItem], zone: dt.tzinfo) -> str:
    """One row per item: last_seen, first_seen, customers, posts, networks, text, url."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["last_seen", "first_seen", "customers", "posts", "networks", "text", "url"])
    for item in items:
        writer.writerow([
            _when(item.last_at, zone), _when(item.first_at, zone), item.customers, item.posts,
            " ".join(item.networks), _cell(item.text), _cell(item.url),
        ])  # fmt: skip
    return out.getvalue()


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("<", "&lt;")


def as_markdown(items: Sequence[FeedbackItem], zone: dt.tzinfo, label: str) -> str:
    """A table the product team can paste: who said it, how many customers, and the words."""
    lines = [
        f"**Product feedback, {label}**: {len(items)} items from {sum(i.customers for i in items)} customers",
        "",
        "| Last seen | Customers | Posts | Networks | Feedback |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for item in items:
        link = item.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        words = _md(item.text) + (f" ([link]({_md(link)}))" if link.startswith("https://") else "")
        lines.append(
            f"| {_when(item.last_at, zone)} | {item.customers} | {item.posts} | {', '.join(item.networks)} "
            f"| {words} |"
        )
    return "\n".join(lines) + "\n"
