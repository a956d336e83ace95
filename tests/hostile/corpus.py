"""The hostile corpus: text and values the outside world sends, and a detector for what must never print."""

from __future__ import annotations

import re

# Text that is legal in a post (JSON can carry all of it) but must never steer a terminal.
HOSTILE_TEXT: dict[str, str] = {
    "lone high surrogate": "order \ud800 lost",
    "lone low surrogate": "\udfff",
    "surrogate pair halves reversed": "\ude00\ud83d",
    "NUL": "a\x00b",
    "every C0 control": "".join(chr(c) for c in range(0x20)),
    "DEL and every C1 control": "".join(chr(c) for c in range(0x7F, 0xA0)),
    "OSC title (BEL)": "\x1b]0;pwned\x07hello",
    "OSC 52 clipboard": "\x1b]52;c;cm0gLXJmIH4=\x1b\\",
    "OSC 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "CSI clear screen": "\x1b[2J\x1b[H",
    "CSI colours": "\x1b[31;1mred\x1b[0m",
    "C1 CSI and OSC": "\x9b2J\x9d0;title\x9c",
    "DCS": "\x1bPq#0;2;0;0;0\x1b\\",
    "APC": "\x1b_Gf=100;AAAA\x1b\\",
    "unterminated OSC": "\x1b]0;never ends",
    "bidi override (Trojan Source)": "refund \u202eretsasid\u202c now",
    "bidi isolates": "\u2066a\u2069\u2067b\u2069\u2068c\u2069",
    "LRM/RLM/ALM": "\u200e\u200f\u061c",
    "zero-width flood": "pay\u200bpal" * 200 + "\u200d" * 5000,
    "combining flood": "Z" + "\u0301" * 10_000,
    "line and paragraph separators": "one\u2028two\u2029three\x85four\r\nfive",
    "rich markup": "[@click=app.quit]quit[/] [bold red]x[/] [link=https://evil]y[/link]",
    "textual markup variable": "$accent [b]$text[/b]",
    "malformed HTML entities": "&#0; &#xD800; &#x110000; &amp &lt;script&gt; &#99999999999;",
    "HTML tags": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "1 MB of text": "A" * 1_000_000,
    "only whitespace": " \t\n ",
    "BOM": "\ufeffhello",
    "emoji ZWJ": "👩‍👩‍👧‍👦🏳️‍🌈",
    "RTL script": "مرحبا שלום",
    "format string": "%s%s%n {0} {__class__}",
    "SQL": "'); DROP TABLE posts; --",
}

# Values the cache and the desk cannot hold, per field they arrive in.
BAD_TIMES: dict[str, object] = {
    "1e20": 1e20,
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
    "NaN": float("nan"),
    "-1e15": -1e15,
    "year 9999": 253_402_300_799.0,
    "before 1970": -1.0,
}
BAD_FOLLOWERS: dict[str, object] = {"10^30": 10**30, "2^63": 2**63, "negative": -1}

# What counts as an attacker byte in output: ESC, C0 other than tab and newline, DEL, C1, bidi
# controls, line/paragraph separators, lone surrogates (and their surrogateescape bytes).
_ATTACKER = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029\ud800-\udfff]"
)


def attacker_bytes(output: str) -> int:
    """How many characters in `output` could steer a terminal (0 is the only good answer)."""
    return len(_ATTACKER.findall(output))
