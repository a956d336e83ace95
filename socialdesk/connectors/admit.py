"""The one boundary every inbound post crosses (sync of any connector, `import`): text made storable,
values checked against what the cache and the desk can hold; what fails is quarantined, not stored.

Connectors parse their network's payloads; this module does not know any network. It replaces lone
surrogates (legal in JSON, never encodable as UTF-8) in every text field and refuses dates outside
1970..2100, non-finite numbers and follower counts that do not fit SQLite's 64-bit integers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from operator import attrgetter

from socialdesk.connectors.base import Quarantined
from socialdesk.models import Post
from socialdesk.sanitize import scrub

FIRST_TIME = 0.0  # 1970-01-01T00:00:00Z
LAST_TIME = 4_102_444_800.0  # 2100-01-01T00:00:00Z
MAX_INT64 = 2**63 - 1
_POST_TEXT = ("network", "native_id", "account", "text", "url", "kind", "lang", "content_warning")
_POST_OPTIONAL = ("in_reply_to", "conversation_id")
_AUTHOR_TEXT = ("native_id", "handle", "display_name", "url")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_texts = attrgetter(*_POST_TEXT, *(f"author.{name}" for name in _AUTHOR_TEXT))


class Refused(ValueError):
    """A post whose values the cache cannot hold (the message says which and why)."""


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise Refused(f"{name} must be text, got {type(value).__name__}")
    return scrub(value)


def check_time(value: object, name: str = "created_at") -> float:
    """A unix time the desk can show: a finite number within 1970..2100."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(f"{name} must be a number of seconds, got {type(value).__name__}")
    if not math.isfinite(value) or not FIRST_TIME <= value < LAST_TIME:
        raise Refused(f"{name} {value!r} is outside 1970..2100")
    return float(value)


def check_count(value: object, name: str) -> int:
    """A count SQLite can store: a whole number from 0 to 2^63 - 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(f"{name} must be a whole number, got {type(value).__name__}")
    if not 0 <= value <= MAX_INT64:
        raise Refused(f"{name} {value} does not fit a 64-bit count")
    return value


def admit(post: Post) -> Post:
    """Make one post storable in place (lone surrogates replaced) and check its values.

    Raises:
        Refused: a value the cache cannot hold (a date outside 1970..2100, NaN, a huge count ...).
    """
    # Every post of a backfill crosses here: the common case (all text, none in need of work, numbers
    # in range) is told in one pass over the joined fields and a comparison per number.
    reply_to, root = post.in_reply_to, post.conversation_id
    try:
        joined = "".join(_texts(post))
        if reply_to is not None:
            joined += reply_to
        if root is not None:
            joined += root
    except TypeError:  # a field is not text: the slow path says which
        joined = None
    if joined is None or (not joined.isascii() and _SURROGATE.search(joined)):
        _scrub_fields(post)
    if not post.network or not post.native_id:
        raise Refused("network and id are required")
    author = post.author
    followers = author.followers
    if type(followers) is not int or not 0 <= followers <= MAX_INT64:
        author.followers = check_count(followers, "author.followers")
    created_at = post.created_at
    if type(created_at) is not float or not FIRST_TIME <= created_at < LAST_TIME:
        post.created_at = check_time(created_at)
    if not isinstance(post.raw, dict):
        raise Refused(f"raw must be an object, got {type(post.raw).__name__}")
    return post


def _scrub_fields(post: Post) -> None:
    """The slow path: check each field's type, replace lone surrogates."""
    for name in _POST_TEXT:
        setattr(post, name, _text(getattr(post, name), name))
    for name in _POST_OPTIONAL:
        value = getattr(post, name)
        if value is not None:
            setattr(post, name, _text(value, name) or None)
    for name in _AUTHOR_TEXT:
        setattr(post.author, name, _text(getattr(post.author, name), f"author.{name}"))


def admit_all(posts: Iterable[Post], where: str = "") -> tuple[list[Post], list[Quarantined]]:
    """Split a batch into the posts to store and the ones to quarantine (with the reason)."""
    admitted: list[Post] = []
    refused: list[Quarantined] = []
    for post in posts:
        try:
            admitted.append(admit(post))
        except Exception as exc:  # a plugin's malformed Post is refused like a bad value
            ident = f"{getattr(post, 'network', '?')}:{getattr(post, 'native_id', '?')}"
            raw = post.as_json() if isinstance(post, Post) else repr(post)[:100_000]
            refused.append(Quarantined(scrub(f"{where}{ident}: {exc}"), raw))
    return admitted, refused
