"""Counts reply length exactly as each network does, splits long replies into threads, builds mentions.

The stable API is `length(text, network)` and `limit(network)`, where `network` is the connector's
`Capabilities` (or a network name, looked up in `socialdesk.capabilities`: the loaded connector's
declaration, the built-in table before connectors load, plain characters for a network nobody
declared). The composer counter, the thread splitter, the review screen and the CLI all go through
it. The counting rules (`Capabilities.counting`):

- "x-weighted": twitter-text v3 weighted length (X, and the demo so that it shows the real X
  behaviour). Counted by the `twitter-text-parser` package (the reference); `_x_length` gives the
  same numbers in microseconds per keystroke.
- "graphemes": grapheme clusters, with `Capabilities.max_bytes` on top (Bluesky: 3000 UTF-8 bytes).
- "mastodon": every URL counts 23 (the instance's characters_reserved_per_url) and a remote mention
  `@user@domain` counts as `@user`, found with Mastodon's own rules (see `mastodon_count`); the rest
  is grapheme clusters, as the server's StatusLengthValidator counts.
- "chars": plain code points. A connector that declares no `max_length` gets DEFAULT_LIMIT.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import repeat
from typing import TYPE_CHECKING, TypedDict

from socialdesk import mastodon_count
from socialdesk.capabilities import COUNTING_RULES, Capabilities, declared
from socialdesk.sanitize import clean

if TYPE_CHECKING:
    import regex

DEFAULT_LIMIT = 500
URL_WEIGHT = mastodon_count.URL_WEIGHT  # X counts every link 23 too
# A connector's capabilities, or a network name (its capabilities looked up) or a counting rule name.
Network = Capabilities | str


@cache
def _grapheme() -> regex.Pattern[str]:
    """The grapheme cluster pattern (the `regex` module costs ~10 ms to import: only on first use)."""
    import regex

    return regex.compile(r"\X")


# Whitespace runs end a token: no URL, emoji sequence or line ending crosses one, so the X weight of
# a text is the sum of its tokens' weights (proved against parse_tweet by a differential test).
_TOKEN = re.compile(r"[^ \t\r\n]*[ \t\r\n]*")
_LINE_ENDINGS = re.compile(r"\r\n|\r")


@cache
def _light() -> re.Pattern[str]:
    """twitter-text v3: these code point ranges weigh 1, everything else 2 (compiled on first use)."""
    return re.compile("[\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")


def capabilities(network: Network) -> Capabilities:
    """The capabilities to count with: as given, a counting rule's, or those declared for a network."""
    if isinstance(network, Capabilities):
        return network
    found = declared(network)
    if found is not None:
        return found.capabilities
    key = network.strip().lower()
    return Capabilities(counting=key if key in COUNTING_RULES else "chars")


def rule(network: Network) -> str:
    """The counting rule of a network (or a rule name passed through)."""
    return capabilities(network).counting


def limit(network: Network, server_limit: int | None = None) -> int:
    """The reply length limit of a network.

    Args:
        network: its capabilities or name (a network that declares no limit gets DEFAULT_LIMIT).
        server_limit: the limit the instance announced (Mastodon's configuration.statuses.max_characters);
            overrides the default when given and positive.
    """
    if server_limit and server_limit > 0:
        return server_limit
    return capabilities(network).max_length or DEFAULT_LIMIT


_network_limit = limit  # `check` and `split_thread` take a parameter named limit


def length(text: str, network: Network, url_weight: int | None = None, content_warning: str = "") -> int:
    """The length of `text` as `network` counts it against `limit(network)`.

    Args:
        url_weight: what a link counts on this server (Mastodon's characters_reserved_per_url).
        content_warning: the post's content warning, which Mastodon counts with the text (a reply
            carries the customer's); other networks ignore it.
    """
    how = rule(network)
    if how == "x-weighted":
        return _x_length(text)
    if how == "graphemes":
        return graphemes(text)
    if how == "mastodon":
        return graphemes(content_warning + mastodon_countable(text, url_weight or URL_WEIGHT))
    return len(text)


def warm_up() -> None:
    """Import twitter-text and build the emoji tables now (about half a second), in a background
    thread, so the first URL or emoji the composer counts does not freeze the desk. The grapheme
    and weight patterns (kept off start-up) are compiled here too."""
    from twitter_text.extract_urls import extract_urls_with_indices

    extract_urls_with_indices("https://example.com")
    _emoji_regexes()
    _grapheme()
    _light()
    mastodon_count.countable("https://example.com/warm @up@example.com")


def remaining(text: str, network: Network, server_limit: int | None = None) -> int:
    """Characters left before the limit (negative when over)."""
    return limit(network, server_limit) - length(text, network)


@dataclass(frozen=True, slots=True)
class CountResult:
    """A reply measured against its network.

    Attributes:
        count: the length in the network's counting rule.
        limit: the limit in force.
        remaining: limit - count (negative when over).
        over: the text cannot be sent as one post (too long or over the byte cap).
        bytes: UTF-8 size when the network caps bytes (Bluesky), else 0.
        max_bytes: that cap, else 0.
    """

    count: int
    limit: int
    remaining: int
    over: bool
    bytes: int = 0
    max_bytes: int = 0


def check(
    text: str,
    network: Network,
    limit: int | None = None,
    url_weight: int | None = None,
    content_warning: str = "",
) -> CountResult:
    """Measure a reply: count, limit, remaining and whether it is over (by length or bytes).

    Args:
        limit: the server's own limit (default: the network's).
        url_weight: what a link counts on the server (default: the network's rule).
        content_warning: the reply's content warning (Mastodon counts it with the text).
    """
    caps = capabilities(network)
    lim = limit if limit and limit > 0 else _network_limit(caps)
    count = length(text, caps, url_weight, content_warning)
    max_bytes = caps.max_bytes
    size = len(text.encode("utf-8")) if max_bytes else 0
    over = count > lim or (max_bytes > 0 and size > max_bytes)
    return CountResult(count, lim, lim - count, over, size, max_bytes)


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters)."""
    if text.isascii() and "\r" not in text:
        return len(text)  # every ASCII character but CR LF is its own cluster
    return len(_grapheme().findall(text))


def mastodon_countable(text: str, url_weight: int = URL_WEIGHT) -> str:
    """The text as a Mastodon server counts it: each URL as `url_weight` characters, `@u@domain` as `@u`."""
    if "://" not in text and "@" not in text:
        return text
    # Neither a URL nor a mention crosses whitespace: rewrite token by token, cached per keystroke.
    return "".join([mastodon_count.countable(token, url_weight) for token in _TOKEN.findall(text)])


# -- X ---------------------------------------------------------------------------------------------


def _x_length(text: str) -> int:
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
    tokens = _TOKEN.findall(text)
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


def _reference_length(text: str) -> int:
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


def x_reference_length(text: str) -> int:
    """X weighted length straight from twitter-text-parser (slow; the differential test's oracle)."""
    return _reference_length(text)


# -- replies: mentions and threads -------------------------------------------------------------------


def reply_prefix(network: Network, handles: list[str], own: tuple[str, ...] = ()) -> str:
    """The mentions a reply must start with on `network` ("" when the network needs none).

    Args:
        network: where the reply goes.
        handles: the handles to address, the post's author first (with or without "@").
        own: our own handles, never mentioned.

    Networks whose capabilities say `reply_mentions` (X, Mastodon, the demo) start a reply with
    "@handle " of each, remote users as "@user@domain" (Mastodon counts them as "@user"); others
    (Bluesky) thread replies by reference and need no mention.
    """
    if not capabilities(network).reply_mentions:
        return ""
    skip = {h.lstrip("@").lower() for h in own}
    seen: list[str] = []
    for handle in handles:
        # A handle is hostile input like any post text: no control or bidi character, no space, is
        # ever sent (and the review shows exactly this text).
        bare = "".join(clean(handle, single_line=True).split()).lstrip("@")
        if bare and bare.lower() not in skip and bare.lower() not in (s.lower() for s in seen):
            seen.append(bare)
    return "".join(f"@{h} " for h in seen)


def with_prefix(prefix: str, text: str) -> str:
    """The exact text that is sent: the mentions `prefix`, then the agent's words (stripped).

    The one place that decides it (the composer's counter, the review, the desk and `socialdesk reply`
    all call it): when the agent already began with the mentions, in any case (networks match handles
    case-insensitively), they are not added twice.
    """
    text = text.strip()
    if not prefix or text.casefold().startswith(prefix.strip().casefold()):
        return text
    return prefix + text


def split_thread(
    text: str,
    network: Network,
    limit: int | None = None,
    prefix: str = "",
    max_parts: int = 99,
    url_weight: int | None = None,
    content_warning: str = "",
) -> list[str]:
    """Split a reply into numbered parts ("... 1/3") at word boundaries, each within the limit.

    Args:
        text: the reply body (without mentions).
        network: the counting rule to measure with.
        limit: the limit to respect (default: the network's).
        prefix: mentions every part starts with (counted in each part).
        max_parts: refuse to produce more parts than this.
        url_weight: what a link counts on the server (default: the network's rule).
        content_warning: the content warning every part carries (Mastodon counts it).

    Returns:
        The final text of each part, prefix and numbering included; one part (no numbering) when it fits.

    Raises:
        ValueError: the prefix leaves no room, or more than `max_parts` parts would be needed.
    """
    lim = limit if limit and limit > 0 else _network_limit(network)
    body = text.strip()
    if fits(prefix + body, network, lim, url_weight, content_warning):
        return [prefix + body]
    words = re.findall(r"\S+\s*", body)
    total = 2
    while total <= max_parts:
        parts = _pack(words, network, lim, prefix, total, url_weight, content_warning)
        if parts is not None and len(parts) <= total:
            n = len(parts)
            return [f"{prefix}{p} {i}/{n}" for i, p in enumerate(parts, 1)]
        total = len(parts) if parts is not None and len(parts) > total else total + 1
    raise ValueError(f"the reply needs more than {max_parts} parts")


def fits(
    text: str, network: Network, limit: int, url_weight: int | None = None, content_warning: str = ""
) -> bool:
    """The text is within `limit` (and the byte cap where the network has one)."""
    return not check(text, network, limit, url_weight, content_warning).over


def _pack(
    words: list[str],
    network: Network,
    lim: int,
    prefix: str,
    total: int,
    url_weight: int | None = None,
    content_warning: str = "",
) -> list[str] | None:
    """Greedy packing for a thread of `total` parts (numbering sized for it); None if impossible."""
    suffix = f" {total}/{total}"  # the widest numbering of this thread
    if not fits(prefix + "x" + suffix, network, lim, url_weight, content_warning):
        raise ValueError("the mentions leave no room for the reply")
    parts: list[str] = []
    current = ""
    queue = list(words)
    while queue:
        word = queue.pop(0)
        candidate = current + word
        if fits(prefix + candidate.rstrip() + suffix, network, lim, url_weight, content_warning):
            current = candidate
            continue
        if current:
            parts.append(current.rstrip())
            current = ""
            queue.insert(0, word)
            continue
        # A single word longer than a part: cut it at grapheme boundaries.
        head, tail = _cut(word.rstrip(), network, lim, prefix, suffix, url_weight, content_warning)
        parts.append(head)
        queue.insert(0, tail + word[len(word.rstrip()) :])
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _cut(
    word: str,
    network: Network,
    lim: int,
    prefix: str,
    suffix: str,
    url_weight: int | None = None,
    content_warning: str = "",
) -> tuple[str, str]:
    clusters = _grapheme().findall(word)
    low, high = 1, len(clusters)
    while low < high:  # largest head that fits
        mid = (low + high + 1) // 2
        if fits(prefix + "".join(clusters[:mid]) + suffix, network, lim, url_weight, content_warning):
            low = mid
        else:
            high = mid - 1
    return "".join(clusters[:low]), "".join(clusters[low:])


class CountJson(TypedDict):
    """A CountResult as --json prints it."""

    count: int
    limit: int
    remaining: int
    over: bool
    bytes: int
    max_bytes: int


def describe(result: CountResult) -> CountJson:
    """A CountResult as plain data (for --json output)."""
    return {
        "count": result.count,
        "limit": result.limit,
        "remaining": result.remaining,
        "over": result.over,
        "bytes": result.bytes,
        "max_bytes": result.max_bytes,
    }
