"""Neutralises hostile text (control characters, terminal escapes, bidi overrides) before display.

The raw text stays in the cache; only what reaches the screen passes through here. Display code
must also render the result as plain text (`rich.text.Text`), never as markup.
"""

from __future__ import annotations

import re

# ESC-based sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings,
# and two-character escapes. Their C1 single-byte forms (U+009B CSI, U+009D OSC ...) likewise.
_ESCAPE_SEQUENCES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?             # CSI ... final byte
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])      # OSC, DCS, SOS, PM, APC ...
      .*?(?:\x07|\x1b\\|\x9c|$)                    # ... up to BEL or ST (or the end)
    | \x1b[ -/]*[0-~]?                             # other ESC sequences
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 except tab and newline, DEL, C1.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings, overrides and isolates (Trojan Source), plus marks that can flip layout.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
# In ASCII text only these characters need work: every other pattern above (ESC aside) is non-ASCII,
# NFKC leaves ASCII unchanged and casefolding ASCII is lowercasing. Most posts take this fast path.
_ASCII_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain_ascii(text: str) -> bool:
    """Whether `clean` and NFKC leave `text` as it is (printable ASCII, tabs and newlines)."""
    return text.isascii() and _ASCII_UNSAFE.search(text) is None


def clean(text: str | None, *, single_line: bool = False) -> str:
    """Return `text` safe to show in a terminal.

    Args:
        text: untrusted text from a post, a profile or a server message.
        single_line: also fold newlines and tabs into spaces (names, feed rows, one-line errors).
    """
    if not text:
        return ""
    if not _plain_ascii(text):
        text = _LINE_BREAKS.sub("\n", text)
        text = _ESCAPE_SEQUENCES.sub("", text)
        text = _CONTROLS.sub("", text)
        text = _BIDI.sub("", text)
    if single_line:
        text = " ".join(text.split())
    return text


def shadow(text: str) -> str:
    """A normalised shadow of the text for matching rules: NFKC, invisible characters removed, casefolded.

    `pay\\u200bpal` and `ｐａｙｐａｌ` both become `paypal`.
    """
    if _plain_ascii(text):
        return text.lower()
    import unicodedata

    text = _INVISIBLE.sub("", clean(text))
    return unicodedata.normalize("NFKC", text).casefold()
