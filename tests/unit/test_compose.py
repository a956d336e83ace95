"""Counters of socialdesk.compose: X against twitter-text-parser, Bluesky graphemes/bytes, Mastodon rules."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from socialdesk import compose

# Pieces a real reply is made of, including the cases each rule treats specially.
PIECES = [
    "hello",
    "Sorry",
    "order",
    "#42",
    "@bob",
    "café",
    "naïve",
    "e\u0301",
    "\u0301",
    "日本語",
    "テキスト",
    "한국어",
    "Привет",
    "مرحبا",
    "שלום",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "🇫🇷",
    "#️⃣",
    "1⃣",
    "©",
    "®",
    "™",
    "…",
    "—",
    "“quoted”",
    "\u2033",
    "\u2010",
    "\u200d",
    "\ufe0f",
    "𝕏",
    "\U0001f9ff",
    "example.com",
    "www.example.org/path",
    "https://example.com/a?b=c",
    "http://t.co/abc",
    "a.b",
    "x.y.z",
    "bit.ly/x",
    "(https://ex.am/ple)",
    "foo@example.com",
    "1.5",
    "...",
    "\u3002",
    "!",
    "?",
    "\t",
]
SEPARATORS = [" ", "  ", "\n", "\r\n", "\r", "", "\u00a0", "\u3000", "\t"]

piece = st.one_of(st.sampled_from(PIECES), st.text(min_size=1, max_size=4))
texts = st.lists(st.tuples(piece, st.sampled_from(SEPARATORS)), max_size=40).map(
    lambda items: "".join(p + s for p, s in items)
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
@example("Hello 世界 héllo https://example.com 😀👍🏽 " * 7)
@example("a\r\nb\r\n\r\nc")
@example("#️⃣ 1⃣ ©®")
def test_x_length_equals_twitter_text_parser(text: str) -> None:
    assert compose.length(text, "x") == parse_tweet(text).weightedLength


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_x_length_equals_reference_on_arbitrary_unicode(text: str) -> None:
    assert compose.length(text, "x") == compose.x_reference_length(text)


def test_x_known_values() -> None:
    assert compose.length("a" * 280, "x") == 280
    assert compose.length("日" * 140, "x") == 280
    assert compose.length("see https://example.com/a/very/long/path/that/goes/on", "x") == 4 + 23
    assert compose.length("👨‍👩‍👧", "x") == 2
    assert compose.check("日" * 141, "x").over


@given(texts)
def test_bluesky_counts_grapheme_clusters(text: str) -> None:
    import regex

    assert compose.length(text, "bluesky") == len(regex.findall(r"\X", text))


def test_bluesky_limits() -> None:
    assert compose.limit("bluesky") == 300
    assert not compose.check("é" * 300, "bluesky").over  # 300 clusters, 600 bytes
    family = "👨‍👩‍👧"
    assert len(family.encode()) == 18
    result = compose.check(family * 200, "bluesky")
    assert result.count == 200 and result.bytes == 3600 and result.over  # under 300 clusters, over 3000 bytes
    assert compose.check("a" * 301, "bluesky").over


@given(texts)
def test_length_never_negative_and_concatenation_is_monotonic_for_ascii_words(text: str) -> None:
    for network in ("x", "bluesky", "mastodon", "other"):
        assert compose.length(text, network) >= 0
        assert compose.length(text + " more", network) >= compose.length(text, network)


def test_mastodon_rules() -> None:
    assert compose.limit("mastodon") == 500
    assert compose.limit("mastodon", server_limit=5000) == 5000
    url = "https://example.com/" + "p" * 100
    assert compose.length(f"see {url}", "mastodon") == 4 + 23
    assert compose.length("@alice@example.social hello", "mastodon") == len("@alice hello")
    assert compose.length("mail me: alice@example.social", "mastodon") == len("mail me: alice@example.social")
    assert compose.length("example.com", "mastodon") == len("example.com")  # no protocol: plain text
    assert compose.length("👍🏽", "mastodon") == 1


@given(st.text(max_size=40))
def test_unknown_network_counts_code_points(text: str) -> None:
    assert compose.length(text, "rss") == len(text)
    assert compose.limit("rss") == compose.DEFAULT_LIMIT


def test_demo_counts_like_x() -> None:
    assert compose.length("日本", "demo") == 4
    assert compose.limit("demo") == 280


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["hello", "日本語", "😀", "https://example.com/x", "customer", "a" * 30]),
        min_size=1,
        max_size=150,
    ),
    st.sampled_from(["x", "bluesky", "mastodon"]),
    st.sampled_from(["", "@bob ", "@bob@example.social "]),
)
def test_split_thread_parts_fit_and_keep_every_word(words: list[str], network: str, prefix: str) -> None:
    text = " ".join(words)
    parts = compose.split_thread(text, network, prefix=prefix)
    for part in parts:
        assert not compose.check(part, network).over, part
        assert part.startswith(prefix)
    if len(parts) == 1:
        assert parts[0] == prefix + text
        return
    n = len(parts)
    bodies = []
    for i, part in enumerate(parts, 1):
        assert part.endswith(f" {i}/{n}")
        bodies.append(part[len(prefix) : -len(f" {i}/{n}")])
    assert " ".join(bodies).split() == text.split()


def test_split_cuts_a_word_longer_than_a_part() -> None:
    parts = compose.split_thread("z" * 700, "x")
    assert len(parts) == 3
    assert "".join(p.rsplit(" ", 1)[0] for p in parts) == "z" * 700
    assert all(compose.length(p, "x") <= 280 for p in parts)


def test_split_refuses_when_mentions_fill_the_post() -> None:
    with pytest.raises(ValueError):
        compose.split_thread("hello " * 100, "x", prefix="@" + "m" * 279 + " ")


def test_reply_prefix_per_network() -> None:
    assert compose.reply_prefix("x", ["@bob", "carol", "Bob"], own=("brand",)) == "@bob @carol "
    assert compose.reply_prefix("x", ["brand", "bob"], own=("@Brand",)) == "@bob "
    assert compose.reply_prefix("mastodon", ["alice@example.social"]) == "@alice@example.social "
    assert compose.reply_prefix("bluesky", ["bob.bsky.social"]) == ""
    assert compose.reply_prefix("rss", ["bob"]) == ""


def _mastodon_whole_text(text: str) -> str:
    """Mastodon's rewrite applied to the whole text at once (the token-cached version must agree)."""
    import re

    from twitter_text.extract_urls import extract_urls_with_indices

    for entity in reversed(extract_urls_with_indices(text, extract_urls_without_protocol=False)):
        start, end = entity["indices"]
        text = text[:start] + "x" * 23 + text[end:]
    return re.sub(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9.-]+[a-z0-9]+)", r"\1@\3", text, flags=re.IGNORECASE)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(piece, st.sampled_from(["@al@ex.am", "x@y@z.org", "/@a@b.cd"])),
            st.sampled_from(SEPARATORS),
        ),
        max_size=30,
    ).map(lambda items: "".join(p + s for p, s in items))
)
def test_mastodon_token_rewrite_equals_whole_text_rewrite(text: str) -> None:
    assert compose.mastodon_countable(text) == _mastodon_whole_text(text)


@pytest.mark.parametrize("text", ["\n\x80example.com ", " éexample.com", "x éexample.com", "éexample.com"])
def test_x_count_matches_twitter_text_where_context_changes_urls(text: str) -> None:
    """Cases the differential fuzzing found: URL detection depends on what precedes a word."""
    from twitter_text import parse_tweet

    assert compose.length(text, "x") == parse_tweet(text).weightedLength
