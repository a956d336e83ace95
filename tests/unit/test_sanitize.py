"""Hostile text: escapes, controls and bidi overrides are neutralised; markup is never interpreted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from socialdesk.sanitize import clean, shadow


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("title\x1b]0;pwned\x07 after", "title after"),
        ("osc8 \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "osc8 link"),
        ("c1 csi \x9b2J done", "c1 csi  done"),
        ("bell\x07 and null\x00", "bell and null"),
        ("del\x7f", "del"),
        ("trojan \u202eevil\u202c source", "trojan evil source"),
        ("isolates \u2066x\u2069", "isolates x"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("windows\r\nline", "windows\nline"),
        ("[bold red]not markup[/]", "[bold red]not markup[/]"),
        ("emoji 👍🏽 and 日本語", "emoji 👍🏽 and 日本語"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_single_line_folds_whitespace() -> None:
    assert clean("a\n\tb   c", single_line=True) == "a b c"


@given(st.text())
def test_clean_never_leaves_terminal_controls(text: str) -> None:
    out = clean(text)
    assert "\x1b" not in out
    assert not any(
        0x80 <= ord(c) <= 0x9F or (ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7F for c in out
    )
    assert not any(c in out for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_cleaned_text_renders_literally() -> None:
    console = Console(width=80, color_system=None, record=True)
    console.print(Text(clean("[link=http://evil]click[/link] \x1b[2Jgone")))
    assert "[link=http://evil]click[/link] gone" in console.export_text()


def test_shadow_defeats_zero_width_and_fullwidth_tricks() -> None:
    assert "paypal" in shadow("Pay\u200bPal")
    assert shadow("ＰＡＹＰＡＬ") == "paypal"


def _slow_clean(text: str) -> str:
    """`clean` without its ASCII fast path (the reference it must agree with)."""
    from socialdesk import sanitize

    text = sanitize._LINE_BREAKS.sub("\n", text)
    text = sanitize._ESCAPE_SEQUENCES.sub("", text)
    text = sanitize._CONTROLS.sub("", text)
    return sanitize._BIDI.sub("", text)


def _slow_shadow(text: str) -> str:
    import unicodedata

    from socialdesk import sanitize

    return unicodedata.normalize("NFKC", sanitize._INVISIBLE.sub("", _slow_clean(text))).casefold()


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)) | st.text())
def test_the_ascii_fast_path_changes_nothing(text: str) -> None:
    assert clean(text) == _slow_clean(text)
    assert shadow(text) == _slow_shadow(text)
