"""Counts of the saved queues that filter on a tag, without reading posts: a tally per tag and
combination of the queue tally's columns, kept by triggers (migration 40).

A queue such as "Outages" (`tag:outage status:new,open`) matched its posts through a subquery per post:
a COUNT over every open post, 111 ms on a demo workspace of 81,000 posts, and it ran after each sync.
The tally answers a filter on one tag as store/queue_tally.py answers the others, at any size in the same
time. A filter on two tags (`tag:vip,influencer`) adds the posts with each and takes away those with both,
from the pairs' tally (store/tag_pairs.py); one on more counts the tagged posts, from the tags' index
(README, "Performance").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from socialdesk.store import queue_tally
from socialdesk.store.queue_tally import CHANGED, COLUMNS, DEFINITIONS, KEY, OF_POST
from socialdesk.store.rows import where_sql


def tagged(count: int) -> str:
    """The WHERE clause (alias `p`) of posts carrying any of `count` tags, given as parameters."""
    marks = ",".join("?" * count)
    return f"EXISTS (SELECT 1 FROM post_tags t WHERE t.post_id = p.id AND t.tag IN ({marks}))"


_TAGGED = re.compile(
    r"EXISTS \(SELECT 1 FROM post_tags t WHERE t\.post_id = p\.id AND t\.tag IN \(([?,]+)\)\)"
)


def _add(tag: str, post: str) -> str:
    return (
        f"INSERT INTO tag_tally (tag, {KEY}, n) SELECT {tag}, {OF_POST}, 1 FROM {post} "
        f"ON CONFLICT (tag, {KEY}) DO UPDATE SET n = n + 1;"
    )


def _take(tag: str, post: str) -> str:
    return f"UPDATE tag_tally SET n = n - 1 WHERE (tag, {KEY}) IN (SELECT {tag}, {OF_POST} FROM {post});"


_ONE_POST = "posts p WHERE p.id = {}"
# The post's tags, with the post's columns as they were (`old`) or are (`new`).
_TAGS_AS = "post_tags t JOIN (SELECT {cols}) p WHERE t.post_id = {which}.id"
_AS_OLD = ", ".join(f"old.{c} AS {c}" for c in COLUMNS)
_AS_NEW = ", ".join(f"new.{c} AS {c}" for c in COLUMNS)

# A post deleted takes its tags with it, in the trigger that runs this (the foreign key forbids keeping
# them; a post later given its rowid would inherit them).
TAKE_DELETED_POST = _take("t.tag", _TAGS_AS.format(cols=_AS_OLD, which="old"))

BACKFILL = (
    f"INSERT INTO tag_tally (tag, {KEY}, n) SELECT t.tag, {OF_POST}, COUNT(*) "
    f"FROM post_tags t JOIN posts p ON p.id = t.post_id GROUP BY t.tag, {OF_POST};\n"
)

MIGRATION = f"""
CREATE TABLE tag_tally (
    tag TEXT NOT NULL,
{DEFINITIONS}
    n INTEGER NOT NULL,
    PRIMARY KEY (tag, {KEY})
) WITHOUT ROWID;
CREATE TRIGGER tag_tally_tagged AFTER INSERT ON post_tags BEGIN
    {_add("new.tag", _ONE_POST.format("new.post_id"))}
END;
CREATE TRIGGER tag_tally_untagged AFTER DELETE ON post_tags BEGIN
    {_take("old.tag", _ONE_POST.format("old.post_id"))}
END;
CREATE TRIGGER tag_tally_post_delete AFTER DELETE ON posts BEGIN
    {TAKE_DELETED_POST}
    DELETE FROM post_tags WHERE post_id = old.id;
END;
CREATE TRIGGER tag_tally_post_update AFTER UPDATE OF {KEY} ON posts WHEN {CHANGED} BEGIN
    {_take("t.tag", _TAGS_AS.format(cols=_AS_OLD, which="old"))}
    {_add("t.tag", _TAGS_AS.format(cols=_AS_NEW, which="new"))}
END;
{BACKFILL}"""


def tally_count(clauses: Sequence[str], params: Sequence[object]) -> tuple[str, list[object]] | None:
    """A statement counting the posts that match `clauses` from the tallies, and its parameters; None
    when they cannot count it exactly.

    The queue tally counts clauses naming only its columns. With one clause on tags besides: one tag is
    summed from this tally; two are the posts with either, less those with both (store/tag_pairs.py);
    more count from the tags' index (`from_tags`).
    """
    if queue_tally.answers(clauses):
        return f"SELECT IFNULL(SUM(n), 0) FROM queue_tally p WHERE {where_sql(clauses)}", list(params)
    on_tags = [i for i, c in enumerate(clauses) if _TAGGED.fullmatch(c)]
    rest = [c for i, c in enumerate(clauses) if i not in on_tags]
    each: list[list[object]] = []  # each clause's parameters
    for clause in clauses:
        taken = sum(len(p) for p in each)
        each.append(list(params[taken : taken + queue_tally.marks(clause)]))
    if len(on_tags) != 1 or sum(len(p) for p in each) != len(params) or not queue_tally.answers(rest):
        return None
    at = on_tags[0]
    tags = sorted({str(tag) for tag in each[at]})

    def summed(table: str, clause: str, values: list[str]) -> tuple[str, list[object]]:
        where = [clause if i == at else c for i, c in enumerate(clauses)]
        args = [v for i, p in enumerate(each) for v in (values if i == at else p)]
        return f"(SELECT IFNULL(SUM(n), 0) FROM {table} p WHERE {where_sql(where)})", args

    if len(tags) == 1:
        sql, args = summed("tag_tally", "p.tag = ?", tags)
        return f"SELECT {sql}", args
    if len(tags) == 2:
        first, first_args = summed("tag_tally", "p.tag = ?", tags[:1])
        second, second_args = summed("tag_tally", "p.tag = ?", tags[1:])
        both, both_args = summed("tag_pairs", "p.tag_a = ? AND p.tag_b = ?", tags)
        return f"SELECT {first} + {second} - {both}", first_args + second_args + both_args
    return None


def from_tags(clauses: Sequence[str]) -> tuple[str, ...]:
    """The clauses with each on tags made a lookup in the tags' index, for a COUNT: the tagged posts are
    read, not every post (a feed's page keeps the EXISTS, which stops at the page's last row)."""
    return tuple(
        f"p.id IN (SELECT post_id FROM post_tags WHERE tag IN ({m.group(1)}))"
        if (m := _TAGGED.fullmatch(c))
        else c
        for c in clauses
    )
