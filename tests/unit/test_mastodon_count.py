"""Mastodon's counter equals the server's: StatusLengthValidator#countable_text with Mastodon's regexes.

Expected figures are the server's: grapheme clusters after every URL (protocol required, greedy
path) becomes 23 characters and every mention `@user@domain` becomes `@user`, with the entities
found as config/initializers/twitter_regex.rb, Extractor and Account::MENTION_RE find them. The
first cases are Mastodon's own (spec/validators/status_length_validator_spec.rb).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk import compose, mastodon_count
from socialdesk.thread_split import split_thread
from tests.fresh_python import imported_by


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Mastodon's spec: autolinked URLs count 23, a URL glued to a word is text ...
        ("a" * 476 + " http://" + "b" * 30 + ".com/example", 500),
        ("a" * 476 + "http://" + "b" * 30 + ".com/example", 476 + 7 + 30 + 12),
        # ... a remote mention counts its user part only, unless its domain is over 253 characters.
        ("a" * 475 + " @alice@" + "b" * 30 + ".com", 482),
        ("a" * 475 + " @alice@" + "b" * 250 + ".com", 475 + 8 + 254),
        # The text: an IDN domain and a Japanese path are one URL; the emoji one cluster.
        ("mixed 日本 https://例え.jp/パス and 😀", 38),
        # Greedy paths: anything but whitespace and <>()? ; the last character is not punctuation.
        ("see https://shop.de/ürün/ß-größe", 4 + 23),
        ("see https://a.com/path.", 4 + 23 + 1),
        ("(https://a.com/x)", 1 + 23 + 1),
        ("https://en.org/wiki/Foo_(bar) ok", 23 + 3),
        ('"https://a.com/q?x=1"', 1 + 23 + 1),
        ("https://a.com/x?q=日本", 23),
        # Mastodon's protocols, and only with the protocol.
        ("gemini://a.com/x dat://b.net ipfs://c.io", 23 * 3 + 2),
        ("ftp://a.com/x", len("ftp://a.com/x")),
        ("example.com/no-protocol", len("example.com/no-protocol")),
        # Mentions: Unicode word characters in the domain, ASCII user, the contexts that forbid one.
        ("@bob@例え.jp hi", len("@bob hi")),
        ("@bob@bücher.example hi", len("@bob hi")),
        ("@bob hi", len("@bob hi")),
        ("@noël@x.example", len("@noël@x.example")),  # "@no" followed by a Latin accent
        ("x=@bob@c.example", len("x=@bob@c.example")),
        ("mail alice@example.social", len("mail alice@example.social")),
        ("@bob@c.example://x", len("@bob@c.example://x")),
        ("@BoB@Example.COM", len("@BoB")),
        # Grapheme clusters: family emoji, flags, combining marks count one each.
        ("👨‍👩‍👧‍👦🇯🇵é", 3),
    ],
)
def test_counts_like_the_server(text: str, expected: int) -> None:
    assert compose.length(text, "mastodon") == expected


def test_the_instance_url_weight_is_used() -> None:
    assert compose.length("see https://a.com/x", "mastodon", url_weight=25) == 4 + 25
    assert compose.check("see https://a.com/x", "mastodon", 5000, 25).count == 29


def test_entities_do_not_overlap() -> None:
    # The mention-looking part of a URL's path belongs to the URL (it starts first).
    text = "https://a.com/@bob@c.example x"
    assert mastodon_count.countable(text) == "x" * 23 + " x"


PIECES = [
    "https://例え.jp/パス",
    "https://a.com/p(x)y",
    "gemini://a.com/",
    "http://t.co/abc",
    "@bob@例え.jp",
    "@al@ex.am",
    "x@y@z.org",
    "/@a@b.cd",
    "=@a@b.cd",
    "@noël@x.com",
    "(",
    ")",
    ".",
    "?",
    "日本",
    "😀",
    "\u0301",
]
SEPARATORS = [" ", "\n", "\r\n", "\t", "", "\u00a0", "\u3000"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), st.sampled_from(SEPARATORS)),
        max_size=25,
    ).map(lambda items: "".join(p + s for p, s in items))
)
def test_counting_token_by_token_equals_counting_the_whole_text(text: str) -> None:
    """The composer rewrites whitespace-separated tokens (cached per keystroke); the server, the text."""
    whole = mastodon_count.countable.__wrapped__(text)
    assert compose.mastodon_countable(text) == whole
    assert compose.length(text, "mastodon") == compose.graphemes(whole)


def test_the_content_warning_counts_with_the_text() -> None:
    """StatusLengthValidator counts [spoiler_text, countable_text].join; a reply keeps the post's CW."""
    assert compose.length("b" * 251, "mastodon", content_warning="a" * 250) == 501
    assert compose.check("b" * 251, "mastodon", content_warning="a" * 250).over
    assert compose.length("see https://a.com/x", "mastodon", content_warning="order trouble") == 13 + 4 + 23
    assert compose.length("hello", "x", content_warning="ignored elsewhere") == 5
    parts = split_thread("word " * 120, "mastodon", content_warning="c" * 300)
    assert len(split_thread("word " * 120, "mastodon")) == 2  # 600 characters
    assert len(parts) == 4 and all(
        not compose.check(p, "mastodon", content_warning="c" * 300).over for p in parts
    )


def test_counting_a_mention_leaves_the_twitter_text_package_unimported() -> None:
    # Its __init__ compiles the emoji regex and imports pkg_resources (~0.35 s): the first counter
    # of the desk's first screen (a Mastodon reply starts with @user@domain) must not wait for it.
    code = (
        "from socialdesk import mastodon_count\n"
        "assert mastodon_count.countable('@ana@mastodon.social', 23) == '@ana'"
    )
    assert imported_by(code, "twitter_text") == []


MENTION_PIECES = st.lists(
    st.sampled_from(
        ["@", "@", "ana", "Bo_1", ".", "-", "..", "mas", "to", "é", "ü", "x" * 250, " ", "\n", "=", "/"]
    ),
    max_size=8,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(MENTION_PIECES)
def test_the_reply_prefixs_quick_path_counts_as_the_full_patterns(text: str) -> None:
    assert mastodon_count.countable(text) == mastodon_count.rewritten(text)


@pytest.mark.parametrize(
    "text",
    ["@ana@mastodon.social ", "@Ana_1@mas.to\n", "@ana ", "@a.b-c@x-y.z  ", "@ana@" + "d" * 254 + " "],
)
def test_the_usual_reply_prefixes_count_as_the_full_patterns(text: str) -> None:
    assert mastodon_count.countable(text) == mastodon_count.rewritten(text)


def test_the_first_counted_reply_prefix_needs_neither_regex_nor_twitter_text() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from socialdesk import compose, capabilities\n"
        "rules = capabilities.facts('mastodon').capabilities\n"
        "r = compose.check('@ana@mastodon.social ', rules, None, None, '')\n"
        "assert r.count == 5, r\n"
        "print(sorted(m for m in ('regex', 'twitter_text') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr
