"""Splits a reply too long for one post into a numbered thread ("... 1/3"), each part within the limit."""

from __future__ import annotations

import re

from socialdesk.compose import Network, check, clusters
from socialdesk.compose import limit as network_limit


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
    lim = limit if limit and limit > 0 else network_limit(network)
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
    pieces = clusters(word)
    low, high = 1, len(pieces)
    while low < high:  # largest head that fits
        mid = (low + high + 1) // 2
        if fits(prefix + "".join(pieces[:mid]) + suffix, network, lim, url_weight, content_warning):
            low = mid
        else:
            high = mid - 1
    return "".join(pieces[:low]), "".join(pieces[low:])
