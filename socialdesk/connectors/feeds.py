"""RSS/Atom feed connector: read-only monitoring of blogs, forums and review sites (feedparser).

Fetches with conditional GET (ETag / Last-Modified kept in the cursor), so an unchanged feed costs
one 304. Each entry becomes a `feed` post whose URL is the link out; feeds cannot be answered.
The cursor is JSON: {"etag": ..., "modified": ..., "seen": [recent entry ids]}.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import feedparser

from socialdesk.connectors.base import (
    Capabilities,
    ConfigError,
    Connector,
    FetchResult,
    Post,
    Quarantined,
)
from socialdesk.connectors.html import host_of, html_to_text
from socialdesk.connectors.http import Api, MalformedResponse, dump_cursor, load_cursor, make_client, raw_text
from socialdesk.models import Author

if TYPE_CHECKING:
    import httpx

SEEN_KEEP = 500  # entry ids remembered between syncs (feeds repeat their latest entries)


# feedparser warns when a missing "updated" is read through .get(), so keys are tested with `in`.


def _entry_time(entry: Any) -> float:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry[key] if key in entry else None  # noqa: SIM401
        if value:
            return float(calendar.timegm(value))
    raise ValueError("entry has no date")


def _text(entry: Any, key: str) -> str:
    """An entry's title or summary as plain text (feedparser says whether it is HTML)."""
    value = str(entry[key]) if key in entry else ""
    detail = entry[f"{key}_detail"] if f"{key}_detail" in entry else {}  # noqa: SIM401
    if "html" in str(detail.get("type", "text/html")):
        return html_to_text(value)
    return value.strip()


class FeedsConnector(Connector):
    """One RSS or Atom feed, read-only."""

    name = "feeds"
    display_name = "Feeds"
    glyph = "F"
    capabilities = Capabilities(can_reply=False, can_dm=False, monitoring=frozenset({"feed"}))
    options = {
        "url": (str, "The feed's address (RSS or Atom)"),
        "title": (str, "A name to show as the author when entries name none (default: the feed's title)"),
    }
    secret_label = ""

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        super().__init__(account, settings, secret, http)
        self.url = str(self.settings.get("url") or "")
        if not self.url.startswith(("https://", "http://")):
            raise ConfigError(f"account {account!r}: url must be the feed's http(s) address")
        self.http = http if http is not None else make_client("")
        self.api = Api(self.http, "Feed")

    def _post(self, entry: Any, feed_title: str) -> Post:
        ident = str(entry.get("id") or entry.get("link") or "")
        if not ident:
            raise ValueError("entry has neither id nor link")
        # Entry ids are only unique within their feed unless they are URIs.
        native_id = ident if ":" in ident else f"{self.url}#{ident}"
        title = _text(entry, "title")
        summary = _text(entry, "summary")
        text = "\n\n".join(part for part in (title, summary) if part)
        author_name = str(
            entry.get("author") or self.settings.get("title") or feed_title or host_of(self.url)
        )
        author_id = "feed:" + hashlib.sha1(f"{self.url}|{author_name}".encode()).hexdigest()[:16]
        link = str(entry.get("link") or "")
        return Post(
            network=self.name,
            native_id=native_id,
            author=Author(native_id=author_id, handle=author_name, display_name=author_name, url=link),
            text=text,
            created_at=_entry_time(entry),
            account=self.account,
            url=link,
            kind="feed",
            lang=str(entry.get("language") or ""),
            raw={
                k: entry[k]
                for k in ("id", "link", "title", "summary", "author", "published", "updated")
                if k in entry
            },
        )

    def fetch(self, cursor: str | None) -> FetchResult:
        """Entries not seen before; an unchanged feed (304) yields nothing."""
        state = load_cursor(cursor)
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = str(state["etag"])
        if state.get("modified"):
            headers["If-Modified-Since"] = str(state["modified"])
        response = self.api.request("GET", self.url, headers=headers, ok=(304,))
        result = FetchResult(posts=[], cursor=cursor)
        if response.status_code == 304:
            return result
        parsed = feedparser.parse(response.content)
        if parsed.get("bozo") and not parsed.entries:
            raise MalformedResponse(
                f"Feed: {self.url} is not a readable feed ({len(response.content)} bytes)"
            )
        seen = list(state.get("seen") or [])
        known = set(seen)
        feed_title = str(parsed.feed.get("title") or "")
        for entry in parsed.entries:
            try:
                post = self._post(entry, feed_title)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raw = raw_text(dict(entry))
                mark = "bad:" + hashlib.sha1(raw.encode()).hexdigest()[:16]
                if mark not in known:  # quarantine a broken entry once, not on every sync
                    known.add(mark)
                    seen.append(mark)
                    result.quarantined.append(Quarantined(f"feed entry: {exc!r}", raw))
                continue
            if post.native_id in known:
                continue
            known.add(post.native_id)
            seen.append(post.native_id)
            result.posts.append(post)
        state.update(
            etag=response.headers.get("etag"),
            modified=response.headers.get("last-modified"),
            seen=seen[-SEEN_KEEP:],
            at=time.time(),
        )
        result.cursor = dump_cursor(state)
        return result
