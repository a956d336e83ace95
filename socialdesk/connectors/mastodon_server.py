"""What a Mastodon-API server does with what we send: the text it stores, its software, reply visibility.

Reconciliation compares our reply with what the server stored, so it must see the text the way the
server rendered it. Mastodon (`TextFormatter#link_to_mention`) turns `@user@domain` into an h-card
whose visible text is `@user` only (the domain is dropped unless two mentioned accounts share the
username), leaves a mention it cannot resolve as typed, splits a link into invisible and ellipsis
spans, and wraps paragraphs in <p> with <br /> for line breaks. GoToSocial renders the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

# Most public first: a reply may be as public as its parent or less, never more.
VISIBILITIES = ("public", "unlisted", "private", "direct")
AUDIENCE = {
    "public": "public reply",
    "unlisted": "unlisted reply",
    "private": "followers-only reply",
    "direct": "direct message",
}
_MENTION = re.compile(r"(?<![\w@/])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@[a-z0-9.-]+\.[a-z0-9-]+", re.I)
_SPACE = re.compile(r"\s+")
_SOFTWARE_WITHOUT_KEYS = ("gotosocial", "takahe", "compatible", "pleroma", "akkoma", "misskey", "firefish")
_MASTODON_VERSION = re.compile(r"^[1-9]\d*\.\d+\.\d+")
_KEY_CAPABLE_SINCE = (2, 4)  # PostStatusService honours Idempotency-Key from Mastodon 2.4 on


class _StoredText(HTMLParser):
    """All text of a status' HTML, links' invisible parts included (they are part of what we typed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def stored_text(content_html: str) -> str:
    """The characters a status' `content` shows, tags removed (no link annotations, no ellipsis)."""
    parser = _StoredText()
    parser.feed(content_html)
    parser.close()
    return "".join(parser.parts)


def comparable(text: str) -> str:
    """A form in which our text and the server's rendering of it are equal.

    Mentions lose their domain (the server may show either), whitespace collapses (paragraphs and
    line breaks become markup), case folds (the server shows the account's own spelling).
    """
    text = _MENTION.sub(r"@\1", text)
    return _SPACE.sub(" ", text).strip().casefold()


def same_text(ours: str, content_html: str) -> bool:
    """Whether a status' HTML `content` is the rendering of the text we sent."""
    return comparable(ours) == comparable(stored_text(content_html))


def honours_idempotency_key(instance: Mapping[str, Any] | None) -> bool:
    """Whether the server is Mastodon itself, which keeps an Idempotency-Key for an hour.

    GoToSocial and Takahē ignore the header; Pleroma-family servers say "compatible" in their
    version. Any server we cannot identify as Mastodon is treated as ignoring it.
    """
    if not instance:
        return False
    version = str(instance.get("version") or "").strip()
    source = str(instance.get("source_url") or "").lower()
    if any(word in version.lower() or word in source for word in _SOFTWARE_WITHOUT_KEYS):
        return False
    match = _MASTODON_VERSION.match(version)
    if match is None:
        return False
    major, minor = (int(n) for n in match.group(0).split(".")[:2])
    if source and not source.rstrip("/").endswith("/mastodon/mastodon") and "glitch" not in version:
        return False  # a fork or another server that reports a Mastodon-like version
    return (major, minor) >= _KEY_CAPABLE_SINCE


def narrowest(*visibilities: str) -> str:
    """The least public of the given visibilities (unknown values are ignored)."""
    known = [v for v in visibilities if v in VISIBILITIES]
    return max(known, key=VISIBILITIES.index) if known else "public"


def parent_status(raw: object) -> Mapping[str, Any]:
    """The Status entity inside a stored raw payload (a notification carries it under `status`)."""
    if not isinstance(raw, Mapping):
        return {}
    inner = raw.get("status")
    return inner if isinstance(inner, Mapping) else raw


def reply_visibility(parent_visibility: str, configured: str, dm: bool) -> str:
    """How public our reply is: never more than its parent; the account's setting only narrows."""
    if dm:
        return "direct"
    return narrowest(parent_visibility, configured)
