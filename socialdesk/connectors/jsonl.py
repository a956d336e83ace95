"""The JSONL line format for posts from sources without a connector, and a connector reading a file.

One JSON object per line (UTF-8). Required keys: `network`, `id`, `author` (an object with at
least `handle`), `text` and `created_at` (ISO 8601, or unix seconds). Optional: `url`,
`in_reply_to`, `conversation_id`, `kind` (mention|reply|search|dm|feed|own, default mention),
`lang`, `account`, `is_ours`, `content_warning`, `author.id` (default: the handle),
`author.name`, `author.followers`, `author.url`, and `raw` (the source's own payload). Blank lines
and lines starting with `#` are skipped.

    {"network": "trustpilot", "id": "r-1", "author": {"handle": "jane"}, "text": "Late again",
     "created_at": "2024-05-01T09:30:00Z", "url": "https://example.com/r-1"}

The connector follows a growing file: its cursor is the byte offset already read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from socialdesk.connectors.base import Capabilities, ConfigError, Connector, FetchResult, Quarantined
from socialdesk.connectors.http import parse_time
from socialdesk.models import Author, Post
from socialdesk.sanitize import json_dumps

if TYPE_CHECKING:
    import httpx

KINDS = ("mention", "reply", "search", "dm", "feed", "own")
BATCH_LINES = 1000


class LineError(ValueError):
    """A line that does not follow the format (the message says which key)."""


def _str(data: Mapping[str, object], key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise LineError(f"missing {key!r}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LineError(f"{key!r} must be a string")
    return str(value)


def parse_line(line: str, account: str = "") -> Post | None:
    """One JSONL line as a Post (None for blank and comment lines).

    Raises:
        LineError: the line is not JSON or breaks the format.
    """
    try:
        return _parse(line, account)
    except RecursionError:
        raise LineError("nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, LineError):
            raise
        raise LineError(f"unreadable: {exc}") from None


def _parse(line: str, account: str) -> Post | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise LineError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LineError("a line must be a JSON object")
    author = data.get("author")
    if not isinstance(author, dict):
        raise LineError("'author' must be an object with a handle")
    created = data.get("created_at")
    try:
        created_at = (
            float(created)
            if isinstance(created, int | float) and not isinstance(created, bool)
            else parse_time(created)
        )
    except (ValueError, OverflowError, OSError):
        raise LineError(f"'created_at' must be ISO 8601 or unix seconds, got {created!r:.80}") from None
    kind = _str(data, "kind") or "mention"
    if kind not in KINDS:
        raise LineError(f"'kind' must be one of {', '.join(KINDS)}")
    if "text" not in data:
        raise LineError("missing 'text'")
    handle = _str(author, "handle", required=True).lstrip("@")  # stored bare: the desk adds the "@"
    followers = author.get("followers", 0)
    if not isinstance(followers, int) or isinstance(followers, bool):
        raise LineError("'author.followers' must be an integer")
    raw = data.get("raw")
    return Post(
        network=_str(data, "network", required=True),
        native_id=_str(data, "id", required=True),
        author=Author(
            native_id=_str(author, "id") or handle,
            handle=handle,
            display_name=_str(author, "name"),
            followers=followers,
            url=_str(author, "url"),
        ),
        text=_str(data, "text"),
        created_at=created_at,
        account=_str(data, "account") or account,
        url=_str(data, "url"),
        in_reply_to=_str(data, "in_reply_to") or None,
        conversation_id=_str(data, "conversation_id") or None,
        kind=kind,
        lang=_str(data, "lang"),
        is_ours=bool(data.get("is_ours", False)),
        content_warning=_str(data, "content_warning"),
        raw=raw if isinstance(raw, dict) else data,
    )


def to_line(post: Post | Mapping[str, object], raw: object = None) -> str:
    """A post (or a stored row as a mapping) as one JSONL line, in the format above."""
    get = post.get if isinstance(post, Mapping) else lambda k: getattr(post, k)
    if isinstance(post, Mapping):
        author = {"id": get("author_native_id"), "handle": get("author_handle"), "name": get("author_name")}
        native_id = get("native_id")
    else:
        author = {
            "id": post.author.native_id,
            "handle": post.author.handle,
            "name": post.author.display_name,
            "followers": post.author.followers,
            "url": post.author.url,
        }
        native_id = post.native_id
    line: dict[str, object] = {
        "network": get("network"),
        "id": native_id,
        "author": {k: v for k, v in author.items() if v not in ("", None)},
        "text": get("text"),
        "created_at": _iso(get("created_at")),
    }
    for key in ("url", "in_reply_to", "conversation_id", "kind", "lang", "account", "content_warning"):
        value = get(key)
        if value not in ("", None):
            line[key] = value
    if get("is_ours"):
        line["is_ours"] = True
    if raw:
        line["raw"] = raw
    return json_dumps(line, separators=(",", ":"))


def _iso(created_at: object) -> str | float | None:
    """ISO 8601 for a unix time; a value no date can hold (stored before values were checked) as is."""
    if created_at is not None and not isinstance(created_at, int | float | str):
        return None
    try:
        return datetime.fromtimestamp(float(created_at or 0), UTC).isoformat().replace("+00:00", "Z")
    except (ValueError, OverflowError, OSError):
        return created_at if isinstance(created_at, int | float) and math.isfinite(created_at) else None


class JsonlConnector(Connector):
    """Posts appended to a JSONL file by another tool (exports, scrapers, webhooks)."""

    name = "jsonl"
    display_name = "JSONL file"
    glyph = "J"
    capabilities = Capabilities(can_reply=False, monitoring=frozenset({"import"}))
    options = {"path": (str, "The JSONL file to follow (see the line format in the README)")}
    secret_label = ""

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(account, settings, secret, http)
        if not self.settings.get("path"):
            raise ConfigError(f"account {account!r}: path (the JSONL file) is required")
        self.path = Path(str(self.settings["path"])).expanduser()

    def fetch(self, cursor: str | None) -> FetchResult:
        """Lines appended since the last offset, at most BATCH_LINES at a time."""
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        result = FetchResult(posts=[], cursor=str(offset))
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return result
        if size < offset:  # the file was replaced: start over (upserts make that harmless)
            offset = 0
        with self.path.open("rb") as fh:
            fh.seek(offset)
            for _ in range(BATCH_LINES):
                raw = fh.readline()
                if not raw.endswith(b"\n"):
                    break  # a line still being written: read it next time
                offset += len(raw)
                text = raw.decode("utf-8", "replace")
                try:
                    post = parse_line(text, self.account)
                except LineError as exc:
                    result.quarantined.append(
                        Quarantined(f"jsonl {self.path.name}: {exc}", text.rstrip("\n"))
                    )
                    continue
                if post is not None:
                    result.posts.append(post)
            else:
                result.more = True  # the batch is full: more may follow
        result.cursor = str(offset)
        return result
