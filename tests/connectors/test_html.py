"""HTML to text: the allowlist, Mastodon's link spans, and hostile markup."""

from __future__ import annotations

import pytest

from socialdesk.connectors.html import html_to_text

MASTODON_LINK = (
    '<a href="https://example.com/a/very/long/path" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="ellipsis">example.com/a/very/lo</span>'
    '<span class="invisible">ng/path</span></a>'
)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>a<br>b<br/>c</p>", "a\nb\nc"),
        (f"<p>see {MASTODON_LINK}</p>", "see example.com/a/very/lo…"),
        (
            '<p><a href="https://evil.example/login">https://bank.example/login</a></p>',
            "https://bank.example/login (evil.example)",
        ),
        ('<p><a href="https://www.shop.example/x">shop.example/x</a></p>', "shop.example/x"),
        ('<p><a href="https://shop.example/x">click here</a></p>', "click here (shop.example)"),
        (
            '<p><a href="https://m.example/tags/help" class="mention hashtag">#<span>help</span></a></p>',
            "#help",
        ),
        ("<ul><li>one</li><li>two</li></ul>", "• one\n• two"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
        ("<p>&lt;b&gt;not bold&lt;/b&gt; &amp; &#128512;</p>", "<b>not bold</b> & 😀"),
        ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "> quoted\n\nreply"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("", ""),
        ("plain text", "plain text"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_deeply_nested_and_huge_input_terminates() -> None:
    assert html_to_text("<span>" * 5000 + "deep" + "</span>" * 5000) == "deep"
    assert len(html_to_text("<p>" + "word " * 200_000 + "</p>")) > 900_000
