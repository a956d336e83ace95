"""Counts reply length exactly as each network does, splits long replies into threads, builds mentions.

The stable API is `length(text, network)` and `limit(network)`, where `network` is the connector's
`Capabilities` (or a network name, looked up in `socialdesk.capabilities`: the loaded connector's
declaration, the built-in table before connectors load, plain characters for a network nobody
declared). The composer counter, the thread splitter, the review screen and the CLI all go through
it. The counting rules (`Capabilities.counting`):

- "x-weighted": twitter-text v3 weighted length (X, and the demo so that it shows the real X
  behaviour). Counted by the `twitter-text-parser` package (the reference); `x_count.length` gives
  the same numbers in microseconds per keystroke.
- "graphemes": grapheme clusters, with `Capabilities.max_bytes` on top (Bluesky: 3000 UTF-8 bytes).
- "mastodon": every URL counts 23 (the instance's characters_reserved_per_url) and a remote mention
  `@user@domain` counts as `@user`, found with Mastodon's own rules (see `mastodon_count`); the rest
  is grapheme clusters, as the server's StatusLengthValidator counts.
- "chars": plain code points. A connector that declares no `max_length` gets DEFAULT_LIMIT.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, TypedDict

import msgspec

from socialdesk import mastodon_count, x_count
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


_network_limit = limit  # `check` takes a parameter named limit


def length(text: str, network: Network, url_weight: int | None = None, content_warning: str = "") -> int:
    """The length of `text` as `network` counts it against `limit(network)`.

    Args:
        url_weight: what a link counts on this server (Mastodon's characters_reserved_per_url).
        content_warning: the post's content warning, which Mastodon counts with the text (a reply
            carries the customer's); other networks ignore it.
    """
    how = rule(network)
    if how == "x-weighted":
        return x_count.length(text)
    if how == "graphemes":
        return graphemes(text)
    if how == "mastodon":
        return graphemes(content_warning + mastodon_countable(text, url_weight or URL_WEIGHT))
    return len(text)


def warm_up() -> None:
    """Import twitter-text and build the emoji tables now (about half a second), in a background
    thread, so the first URL or emoji the composer counts does not freeze the desk. The grapheme
    and weight patterns (kept off start-up) are compiled here too."""
    x_count.warm_up()
    _grapheme()
    mastodon_count.countable("https://example.com/warm @up@example.com")


def remaining(text: str, network: Network, server_limit: int | None = None) -> int:
    """Characters left before the limit (negative when over)."""
    return limit(network, server_limit) - length(text, network)


class CountResult(msgspec.Struct, frozen=True):
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


def clusters(text: str) -> list[str]:
    """The text's extended grapheme clusters, in order (a thread part is never cut inside one)."""
    return list(_grapheme().findall(text))


def mastodon_countable(text: str, url_weight: int = URL_WEIGHT) -> str:
    """The text as a Mastodon server counts it: each URL as `url_weight` characters, `@u@domain` as `@u`."""
    if "://" not in text and "@" not in text:
        return text
    # Neither a URL nor a mention crosses whitespace: rewrite token by token, cached per keystroke.
    return "".join([mastodon_count.countable(token, url_weight) for token in x_count.TOKEN.findall(text)])


# -- replies: mentions -------------------------------------------------------------------


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
