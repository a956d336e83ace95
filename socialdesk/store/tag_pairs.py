"""The pairs of tags posts carry, tallied like the tags themselves (migration 41), so a queue on either of
two tags is counted exactly without reading posts: the posts with one, plus those with the other, less
those with both (store/tag_tally.py counts; README, "Performance").
"""

from __future__ import annotations

from socialdesk.store.queue_tally import CHANGED, COLUMNS, DEFINITIONS, KEY, OF_POST
from socialdesk.store.tag_tally import TAKE_DELETED_POST as TAKE_TAGS_OF_DELETED_POST

_UPSERT = f"ON CONFLICT (tag_a, tag_b, {KEY}) DO UPDATE SET n = n + 1;"

# The post's other tags, each with the tag given, in order, and the post's columns.
_WITH = (
    "SELECT min(t.tag, {tag}), max(t.tag, {tag}), " + OF_POST + " FROM post_tags t JOIN posts p "
    "ON p.id = t.post_id WHERE t.post_id = {post} AND t.tag <> {tag}"
)
# Every pair of the post's tags, with its columns as they were (`old`) or are (`new`).
_PAIRS = (
    "SELECT x.tag, y.tag, {cols} FROM post_tags x "
    "JOIN post_tags y ON y.post_id = x.post_id AND y.tag > x.tag WHERE x.post_id = {which}.id"
)


def _of(which: str) -> str:
    return _PAIRS.format(cols=", ".join(f"{which}.{c}" for c in COLUMNS), which=which)


BACKFILL = (
    f"INSERT INTO tag_pairs (tag_a, tag_b, {KEY}, n) SELECT x.tag, y.tag, {OF_POST}, COUNT(*) "
    "FROM post_tags x JOIN post_tags y ON y.post_id = x.post_id AND y.tag > x.tag "
    f"JOIN posts p ON p.id = x.post_id GROUP BY x.tag, y.tag, {OF_POST};\n"
)

_TAKE_PAIRS_OF_DELETED_POST = f"UPDATE tag_pairs SET n = n - 1 WHERE (tag_a, tag_b, {KEY}) IN ({_of('old')});"

MIGRATION = f"""
CREATE TABLE tag_pairs (
    tag_a TEXT NOT NULL,
    tag_b TEXT NOT NULL,
{DEFINITIONS}
    n INTEGER NOT NULL,
    PRIMARY KEY (tag_a, tag_b, {KEY})
) WITHOUT ROWID;
CREATE TRIGGER tag_pairs_tagged AFTER INSERT ON post_tags BEGIN
    INSERT INTO tag_pairs (tag_a, tag_b, {KEY}, n)
    SELECT *, 1 FROM ({_WITH.format(tag="new.tag", post="new.post_id")}) WHERE true {_UPSERT}
END;
CREATE TRIGGER tag_pairs_untagged AFTER DELETE ON post_tags BEGIN
    UPDATE tag_pairs SET n = n - 1
    WHERE (tag_a, tag_b, {KEY}) IN ({_WITH.format(tag="old.tag", post="old.post_id")});
END;
CREATE TRIGGER tag_pairs_post_update AFTER UPDATE OF {KEY} ON posts WHEN {CHANGED} BEGIN
    UPDATE tag_pairs SET n = n - 1 WHERE (tag_a, tag_b, {KEY}) IN ({_of("old")});
    INSERT INTO tag_pairs (tag_a, tag_b, {KEY}, n) SELECT *, 1 FROM ({_of("new")}) WHERE true {_UPSERT}
END;
DROP TRIGGER tag_tally_post_delete;
CREATE TRIGGER tag_tally_post_delete AFTER DELETE ON posts BEGIN
    {TAKE_TAGS_OF_DELETED_POST}
    {_TAKE_PAIRS_OF_DELETED_POST}
    DELETE FROM post_tags WHERE post_id = old.id;
END;
{BACKFILL}"""
