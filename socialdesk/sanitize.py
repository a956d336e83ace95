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
# Lone surrogates are legal in JSON but not in UTF-8: writing one to a terminal, a file or SQLite fails.
_SURROGATES = re.compile(r"[\ud800-\udfff]")
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
        text = _SURROGATES.sub("\ufffd", text)
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


def scrub(text: str) -> str:
    """Replace lone surrogates (legal in JSON, never in UTF-8) with U+FFFD; keep everything else as is.

    Applied where text enters the cache, so every later write (SQLite, a file, a terminal) can encode it.
    """
    if text.isascii():
        return text
    return _SURROGATES.sub("\ufffd", text)


# What JSON output must escape beyond what `json.dumps` does (C0, quote, backslash): DEL and C1,
# bidi controls, line/paragraph separators, invisible marks and lone surrogates.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\u061c\ud800-\udfff]")


def json_dumps(
    value: object,
    *,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """`json.dumps` for output that may reach a terminal: the same JSON, with every character that
    could steer a terminal escaped as `\\uXXXX` (readable non-ASCII text stays readable)."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
