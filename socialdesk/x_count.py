"""X's weighted reply length (twitter-text v3), as parse_tweet counts it, at keystroke speed.

`length(text)` equals `twitter_text.parse_tweet(text).weightedLength` (a differential test proves it)
and `reference_length` is that oracle itself; `socialdesk.compose` counts "x-weighted" replies here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from itertools import repeat
from typing import TypedDict

from socialdesk import twitter_text_loader

URL_WEIGHT = 23  # twitter-text weighs every URL 23, whatever its length

# Whitespace runs end a token: no URL, emoji sequence or line ending crosses one, so the X weight of
# a text is the sum of its tokens' weights (proved against parse_tweet by a differential test).
TOKEN = re.compile(r"[^ \t\r\n]*[ \t\r\n]*")
_LINE_ENDINGS = re.compile(r"\r\n|\r")


@cache
def _light() -> re.Pattern[str]:
    """twitter-text v3: these code point ranges weigh 1, everything else 2 (compiled on first use)."""
    return re.compile("[\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")


def warm_up() -> None:
    """Import twitter-text and build the emoji tables and weight pattern now (about half a second)."""
    twitter_text_loader.load()
    from twitter_text.extract_urls import extract_urls_with_indices

    extract_urls_with_indices("https://example.com")
    _emoji_regexes()
    _light()


def length(text: str) -> int:
    """twitter-text v3 weighted length, equal to parse_tweet(text).weightedLength.

    parse_tweet costs about 1.5 ms on a full 280-character text, too slow for every keystroke: its
    emoji regex (thousands of alternatives) costs about 4 us at every position it is tried, so about
    130 us even on a 34-character ASCII URL. Texts are cut into whitespace-separated tokens whose
    weights add up; tokens are cached (typing changes one token), and a new token is weighed as
    parse_tweet weighs it, but with its URL and emoji entities found cheaply (see `_x_token`).
    """
    if not text:
        return 0
    if text.isascii() and "." not in text and "\r" not in text:
        return len(text)  # no URL, no emoji, every character weighs 1
    tokens = TOKEN.findall(text)
    # twitter-text's URL rules depend on what precedes a word (start of text or whitespace), so the
    # first token is weighed as it stands and every later one as it stands after a space.
    return _x_token(tokens[0], True) + sum(map(_x_token, tokens[1:], repeat(False)))


@lru_cache(maxsize=4096)
def _x_token(token: str, first: bool) -> int:
    """parse_tweet's weighting loop on one token: code point weights, but 23 per URL, 2 per emoji.

    Entities come from twitter-text's own URL extractor and emoji regex; only the search for them
    is narrowed (URL extraction only where a domain could be, the emoji regex only at code points
    that can begin an emoji): a new URL token costs about 15-25 us, an emoji about 5 us.
    Neither a URL nor an emoji holds a space, tab, CR or LF, so the entities of a text are those
    of its tokens, control characters included; `first` says the token starts the text.
    """
    if not token:
        return 0
    text = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", token))
    if not first:
        text = " " + text  # its one-character weight is taken off at the end
    # Entities by start index, a later one replacing an earlier one, as parse_tweet keys them.
    urls = {e["indices"][0]: len(e["url"]) for e in _urls(text)}
    emojis = {start: end - start for start, end in _emoji_spans(text)}
    weight = _code_point_weight(text)
    covered = 0  # parse_tweet skips entities that start inside the previous URL or emoji
    for start in sorted(urls.keys() | emojis.keys()):
        if start < covered:
            continue
        # A URL wins over an emoji starting at the same index (parse_tweet checks URLs first).
        size, entity_weight = (urls[start], URL_WEIGHT) if start in urls else (emojis[start], 2)
        covered = start + size
        weight += entity_weight - _code_point_weight(text[start:covered])
    return weight if first else weight - 1


def _code_point_weight(text: str) -> int:
    light = sum(len(run) for run in _light().findall(text))
    return light + 2 * (len(text) - light)


# A URL twitter-text recognises needs a domain: a dot followed by a letter (the TLD's first).
_DOT_LETTER = re.compile(r"\.[^\W\d_]")


class UrlEntity(TypedDict):
    """A URL twitter-text found: its text and where it starts and ends."""

    url: str
    indices: list[int]


def _urls(text: str) -> list[UrlEntity]:
    # Sentences ending in "." or "..." and numbers like 4.99 never reach the URL regexes.
    if "." not in text or ("://" not in text and _DOT_LETTER.search(text) is None):
        return []
    twitter_text_loader.load()
    from twitter_text.extract_urls import extract_urls_with_indices

    return extract_urls_with_indices(text)


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    """The matches of twitter-text's emoji regex, as its finditer would find them.

    The regex costs about 4 us wherever it is tried, so it is tried only where the candidate regex
    of `_emoji_regexes` says a match can begin (elsewhere it would fail anyway).
    """
    if text.isascii():
        return []  # every emoji sequence holds a non-ASCII code point (keycaps: U+FE0F/U+20E3)
    emoji, candidate = _emoji_regexes()
    spans = []
    position = 0
    while (found := candidate.search(text, position)) is not None:
        match = emoji.match(text, found.start())
        if match is None:
            position = found.start() + 1
        else:
            spans.append(match.span())
            position = match.end()
    return spans


@lru_cache(maxsize=1)
def _emoji_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """twitter-text's emoji regex and a cheap one matching (a superset of) where it can begin.

    A match is either a single-code-point emoji, or a multi-code-point sequence whose first two
    code points are known; first code points that are no emoji on their own ("#", digits, "*" of
    the keycaps) are candidates only before a possible second code point.
    """
    twitter_text_loader.load()
    from twitter_text.regexp import emoji as emoji_module

    singles = "".join(
        f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in emoji_module.single_codepoint_emoji_ranges
    )
    single = re.compile(f"[{singles}]")
    firsts: set[str] = set()
    seconds: set[str] = set()
    for entry in emoji_module.emoji_list:
        points = [chr(int(point, 16)) for point in entry.codepoint.split()]
        if len(points) > 1 and not single.match(points[0]):
            firsts.add(points[0])
            seconds.add(points[1])
    candidate = re.compile(f"[{singles}]|[{_char_class(firsts)}](?=[{_char_class(seconds)}])")
    return emoji_module.emoji, candidate


def _char_class(chars: set[str]) -> str:
    return "".join(re.escape(char) for char in sorted(chars))


def reference_length(text: str) -> int:
    """X weighted length straight from twitter-text-parser (slow; the differential test's oracle)."""
    twitter_text_loader.load()
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)
