"""Rich-text facets for a Bluesky post, found as the official app finds them (@atproto/api RichText).

Mentions are `@` + a handle whose last label is a top-level domain (or `.test`); links are
http(s) URLs and bare domains (`acme.com/help`, linked as https://), with a trailing punctuation
mark and an unbalanced closing parenthesis left out. Offsets are UTF-8 byte offsets, as the
lexicon requires. Top-level domains come from the Public Suffix List's ICANN section, which names
the same domains as the IANA list the official app uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_WORD = "[A-Za-z0-9_]"
# JavaScript's \b is ASCII-only whatever the text: spelled out so that Python's Unicode \b differs not.
_ASCII_BOUNDARY = f"(?:(?<={_WORD})(?!{_WORD})|(?<!{_WORD})(?={_WORD}))"
_MENTION = re.compile(rf"(^|\s|\()(@)([a-zA-Z0-9.-]+){_ASCII_BOUNDARY}")
_URL = re.compile(
    r"(^|\s|\()((https?://\S+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)\S*))", re.IGNORECASE | re.MULTILINE
)
_TRAILING = re.compile(r"[.,;:!?]$")


@lru_cache(maxsize=1)
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True, accept_unknown=False)


def is_valid_domain(name: str) -> bool:
    """The name ends in `.` + a top-level domain, spelled in lower case as the IANA list is."""
    head, dot, last = name.rpartition(".")
    if not dot or not head or not last or last != last.lower():
        return False
    return bool(_suffixes().is_public(last))


def _byte(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": _byte(text, start), "byteEnd": _byte(text, end)}


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Rich-text facets for links and mentions, in text order.

    Args:
        text: the post's text.
        resolve: handle -> DID, or None when the handle does not resolve (no facet then, as the
            official app drops a mention it cannot resolve).
    """
    found: list[tuple[int, dict[str, Any]]] = []
    for match in _MENTION.finditer(text):
        handle = match.group(3)
        if not is_valid_domain(handle) and not handle.endswith(".test"):
            continue  # probably not a handle
        did = resolve(handle)
        if did:
            start = match.start(2)
            found.append(
                (
                    start,
                    {
                        "index": _span(text, start, match.end(3)),
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                    },
                )
            )
    for match in _URL.finditer(text):
        uri = match.group(2)
        if not uri.startswith("http"):  # case-sensitive, as in the app: HTTPS:// links nothing
            domain = match.group("domain")
            if not domain or not is_valid_domain(domain):
                continue
            uri = f"https://{uri}"
        start, end = match.start(2), match.end(2)
        if _TRAILING.search(uri):
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        found.append(
            (
                start,
                {
                    "index": _span(text, start, end),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
                },
            )
        )
    return [facet for _, facet in sorted(found, key=lambda pair: pair[0])]
