"""Counters of socialdesk.compose: X against twitter-text-parser, Bluesky graphemes/bytes, Mastodon rules."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from socialdesk import compose, x_count
from socialdesk.thread_split import split_thread

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
    assert compose.length(text, "x") == x_count.reference_length(text)


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
    parts = split_thread(text, network, prefix=prefix)
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
    parts = split_thread("z" * 700, "x")
    assert len(parts) == 3
    assert "".join(p.rsplit(" ", 1)[0] for p in parts) == "z" * 700
    assert all(compose.length(p, "x") <= 280 for p in parts)


def test_split_refuses_when_mentions_fill_the_post() -> None:
    with pytest.raises(ValueError):
        split_thread("hello " * 100, "x", prefix="@" + "m" * 279 + " ")


def test_reply_prefix_per_network() -> None:
    assert compose.reply_prefix("x", ["@bob", "carol", "Bob"], own=("brand",)) == "@bob @carol "
    assert compose.reply_prefix("x", ["brand", "bob"], own=("@Brand",)) == "@bob "
    assert compose.reply_prefix("mastodon", ["alice@example.social"]) == "@alice@example.social "
    assert compose.reply_prefix("bluesky", ["bob.bsky.social"]) == ""
    assert compose.reply_prefix("rss", ["bob"]) == ""


def _mastodon_whole_text(text: str) -> str:
    """Mastodon's rewrite applied to the whole text at once (the token-cached version must agree)."""
    from socialdesk import mastodon_count

    mastodon_count.countable.cache_clear()
    return mastodon_count.countable(text)


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


# -- X: the per-keystroke counter against twitter-text, on the paths it takes without parse_tweet ----

# URLs and their look-alikes in every form the URL extractor treats specially, and what may touch them.
URL_PIECES = [
    "https://example.com/receipt/482913",
    "http://t.co/abc123",
    "https://t.co/abc123?x=1",
    "https://t.co/" + "a" * 41,  # a t.co slug over 40 characters is no URL
    "t.co/abc",
    "example.com",
    "example.com/",
    "EXAMPLE.COM/Path",
    "sub.example.co.uk/a_b-c",
    "www.example.org/path?q=1&r=2#frag",
    "https://example.com:8080/a",
    "https://example.com/a(b)c",
    "https://example.com/a((b))",
    "https://example.com/путь",
    "https://日本語.jp/x",
    "例え.テスト",
    "xn--p1ai.xn--p1ai",
    "пример.рф",
    "foo@example.com",
    "@example.com",
    "$example.com",
    "#example.com",
    "-example.com",
    "_example.com",
    "/example.com",
    "https://",
    "https://example",
    "example.c",
    "4.99",
    "v1.2.3",
    "a.b",
]
# What may touch a URL without a space: punctuation (trailing or preceding), emoji, CJK, marks,
# bidi markers, BOM, NBSP, control characters.
URL_NEIGHBOURS = ["", *".,!?():;'\"…。-_/@#x", "😀", "👍🏽", "1⃣", "#️⃣", "日本", "é", "\u0301", "\u200e"]
URL_NEIGHBOURS += ["\u202a", "\ufeff", "\u00a0", "\x80", "\x85", "\x0b", "\x1f"]
CONTROLS = [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + ["\u2028", "\u2029"]

url_word = st.tuples(
    st.sampled_from(URL_NEIGHBOURS), st.sampled_from(URL_PIECES), st.sampled_from(URL_NEIGHBOURS)
).map("".join)
x_piece = st.one_of(
    st.sampled_from(PIECES),
    url_word,
    st.sampled_from(CONTROLS),
    st.sampled_from(["\r\n", "\r", "\n"]),
    st.text(min_size=1, max_size=4),
)
x_texts = st.lists(
    st.tuples(x_piece, st.sampled_from([*SEPARATORS, "\r\n\r\n", "\x0b", "\x0c", "\x85"])), max_size=25
).map(lambda items: "".join(p + s for p, s in items))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x_texts)
@example("😀https://example.com 日本example.com/x (https://ex.am/ple). example.com, t.co/abc")
@example("\x00example.com \x80https://example.com\x0bexample.com\x85example.com")
@example("a\r\nexample.com\r\rb.co\n\r\nc.org\r")
@example("example.com/1⃣ https://t.co/1️⃣ x.org/#️⃣")  # a keycap emoji starting inside a URL
@example("a пexample.com/пexample.com!")  # parse_tweet skips len(url), shorter than the indices
def test_x_length_equals_twitter_text_with_urls_controls_and_line_endings(text: str) -> None:
    assert compose.length(text, "x") == parse_tweet(text).weightedLength


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(x_piece, st.sampled_from(SEPARATORS)), min_size=1, max_size=6).map(
        lambda items: "".join(p + s for p, s in items)
    )
)
def test_x_length_equals_twitter_text_on_every_keystroke(text: str) -> None:
    """Typing one character at a time: each prefix is a new, partly typed last word (URL, emoji)."""
    for end in range(1, len(text) + 1):
        assert compose.length(text[:end], "x") == parse_tweet(text[:end]).weightedLength, repr(text[:end])


TYPED = [
    "@brightbasket Hi! Order #482913 arrived 🙃 but — 牛乳 and パン 🍞. Заказ £42.50 "
    "https://example.com/receipt/482913 ¿Me ayudan? 👩‍👩‍👧‍👦 Ελπίζω 🇬🇧 #refund ",
    "see https://t.co/abc123?x=1, example.com/a_(b) and 日本example.com!",
    "😀https://example.com/x. 👨‍👩‍👧example.org\r\n#️⃣1⃣ ©️ ®",
    "x.com/a?b=c&d=e#f. http://例え.テスト/パス",
]


@pytest.mark.parametrize("text", TYPED)
def test_x_length_equals_twitter_text_while_typing_known_replies(text: str) -> None:
    for end in range(1, len(text) + 1):
        assert compose.length(text[:end], "x") == parse_tweet(text[:end]).weightedLength, repr(text[:end])


def test_x_counter_never_calls_parse_tweet(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse_tweet costs 4 us per character (its emoji regex); the counter only uses its parts."""
    import twitter_text

    def slow(text: str) -> None:
        raise AssertionError(f"parse_tweet called on {text!r}")

    monkeypatch.setattr(twitter_text, "parse_tweet", slow)
    x_count._x_token.cache_clear()
    for text in TYPED:
        for end in range(1, len(text) + 1):
            compose.length(text[:end], "x")


def test_x_code_point_weights_are_twitter_texts() -> None:
    from twitter_text.config import config

    options = config["defaults"]
    assert (
        options["scale"] == 100
        and options["default_weight"] == 200
        and options["transformed_url_length"] == 23
    )
    light = {(r["start"], r["end"]) for r in options["ranges"] if r["weight"] == 100}
    assert light == {(0x0, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037)}
    for low, high in light:
        for code in (low, high):
            assert x_count._code_point_weight(chr(code)) == 1
        assert x_count._code_point_weight(chr(high + 1)) == 2


def test_x_url_candidates_need_a_dot_and_a_letter() -> None:
    """A token takes the URL extractor only with a "." before a letter: every TLD starts with one."""
    import re

    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld
    from twitter_text.regexp.valid_punycode import valid_punycode

    assert valid_punycode.pattern.startswith("(?:xn--")
    for tlds in (valid_gtld, valid_cctld):
        body = tlds.pattern[tlds.pattern.index("(?:(?:") + 6 : tlds.pattern.index(")(?=")]
        for tld in body.split("|"):
            assert x_count._DOT_LETTER.match("." + tld), tld
            # IGNORECASE: the TLD's case variants are letters too
            assert re.match(r"[^\W\d_]", tld[0].upper()) and re.match(r"[^\W\d_]", tld[0].lower())


def test_x_emoji_candidates_cover_every_emoji() -> None:
    """The emoji regex is tried only where the candidate regex matches: every emoji must start there."""
    from twitter_text.regexp import emoji as emoji_module

    emoji, candidate = x_count._emoji_regexes()
    for entry in emoji_module.emoji_list:
        sequence = "".join(chr(int(point, 16)) for point in entry.codepoint.split())
        assert not sequence.isascii()  # why ASCII tokens skip the emoji search
        assert emoji.match(sequence) and candidate.match(sequence), entry
    for low, high in emoji_module.single_codepoint_emoji_ranges:
        for code in range(low, high + 1):
            assert candidate.match(chr(code)), hex(code)
    assert x_count._emoji_spans("a1b2 #x ©") == [(8, 9)]  # digits and "#" not before U+FE0F/U+20E3
