"""X API objects read field by field: a bad value is one the fetch quarantines (ValueError), never a crash."""

from __future__ import annotations

import json

import pytest

from socialdesk.connectors.x_posts import author_of, tweet_post, users_by_id

TWEET = {"id": "20", "author_id": "7", "text": "@acme hi", "created_at": "2026-01-02T03:04:05Z"}


def test_a_follower_count_that_is_no_whole_number_is_a_bad_item() -> None:
    # Python's json reads Infinity: int() of it raised OverflowError, which no fetch catches.
    page = json.loads(
        '{"includes": {"users": [{"id": "7", "username": "u", "public_metrics": '
        '{"followers_count": Infinity}}]}}'
    )
    with pytest.raises(ValueError):
        author_of("7", users_by_id(page))


def test_odd_shapes_around_a_post_leave_the_post_readable() -> None:
    users = users_by_id({"includes": {"users": [{"id": "7", "username": "u", "public_metrics": [3]}, "x"]}})
    tweet = {**TWEET, "referenced_tweets": ["nope", {"type": "replied_to", "id": "19"}], "entities": []}
    post = tweet_post(tweet, users, "mention", "1", "acme")
    assert (post.author.followers, post.in_reply_to, post.text) == (0, "19", "@acme hi")
