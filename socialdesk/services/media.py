"""A post's attachments (images, video, audio) with their alt text, read from the payload each network sent.

Mastodon: the status's `media_attachments`. Bluesky: the post view's embed (`app.bsky.embed.images#view`,
`video#view`, inside `recordWithMedia#view` too), or the bare record's blobs (notifications carry the
record, whose images are served by the CDN). X: the post's `media` (from the page's `includes.media`,
requested with `expansions=attachments.media_keys`); media keys alone say only how many there are.
"""

from __future__ import annotations

import json
from typing import Any

from socialdesk.viewmodels import Attachment

BSKY_CDN = "https://cdn.bsky.app/img"
_MASTODON_KINDS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}


def _web(url: Any) -> str:
    """Only plain web addresses are kept: a payload's other schemes are never opened or fetched."""
    text = str(url or "").strip()
    return (
        text
        if text.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in text)
        else ""
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _size(width: Any, height: Any) -> tuple[int, int]:
    try:
        return max(0, int(width or 0)), max(0, int(height or 0))
    except (TypeError, ValueError):
        return 0, 0


def _mastodon(raw: dict[str, Any]) -> list[Attachment]:
    status = _dict(raw.get("status")) or raw
    status = _dict(status.get("reblog")) or status
    found = []
    for media in status.get("media_attachments") or []:
        if not isinstance(media, dict):
            continue
        original = _dict(_dict(media.get("meta")).get("original"))
        width, height = _size(original.get("width"), original.get("height"))
        found.append(
            Attachment(
                kind=_MASTODON_KINDS.get(str(media.get("type")), "file"),
                url=_web(media.get("url")) or _web(media.get("remote_url")),
                preview_url=_web(media.get("preview_url")),
                alt=str(media.get("description") or ""),
                width=width,
                height=height,
            )
        )
    return found


def _bsky_view(embed: dict[str, Any]) -> list[Attachment]:
    kind = str(embed.get("$type") or "")
    if kind == "app.bsky.embed.recordWithMedia#view" and isinstance(embed.get("media"), dict):
        return _bsky_view(embed["media"])
    if kind == "app.bsky.embed.images#view":
        found = []
        for image in embed.get("images") or []:
            if isinstance(image, dict):
                ratio = _dict(image.get("aspectRatio"))
                found.append(
                    Attachment(
                        "image",
                        _web(image.get("fullsize")),
                        _web(image.get("thumb")),
                        str(image.get("alt") or ""),
                        *_size(ratio.get("width"), ratio.get("height")),
                    )
                )
        return found
    if kind == "app.bsky.embed.video#view":
        ratio = _dict(embed.get("aspectRatio"))
        return [
            Attachment(
                "video",
                _web(embed.get("playlist")),
                _web(embed.get("thumbnail")),
                str(embed.get("alt") or ""),
                *_size(ratio.get("width"), ratio.get("height")),
            )
        ]
    return []


def _bsky_record(embed: dict[str, Any], did: str) -> list[Attachment]:
    kind = str(embed.get("$type") or "")
    if kind == "app.bsky.embed.recordWithMedia" and isinstance(embed.get("media"), dict):
        return _bsky_record(embed["media"], did)
    found = []
    if kind == "app.bsky.embed.images":
        for image in embed.get("images") or []:
            if not isinstance(image, dict):
                continue
            blob = _dict(image.get("image"))
            ref = _dict(blob.get("ref"))
            cid = str(ref.get("$link") or "")
            ok = did.startswith("did:") and cid.isalnum()
            ratio = _dict(image.get("aspectRatio"))
            found.append(
                Attachment(
                    "image",
                    f"{BSKY_CDN}/feed_fullsize/plain/{did}/{cid}@jpeg" if ok else "",
                    f"{BSKY_CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg" if ok else "",
                    str(image.get("alt") or ""),
                    *_size(ratio.get("width"), ratio.get("height")),
                )
            )
    elif kind == "app.bsky.embed.video":
        found.append(Attachment("video", "", "", str(embed.get("alt") or "")))
    return found


def _bluesky(raw: dict[str, Any]) -> list[Attachment]:
    view = _dict(raw.get("post")) or raw
    if isinstance(view.get("embed"), dict):
        return _bsky_view(view["embed"])
    record = _dict(view.get("record"))
    author = _dict(view.get("author"))
    if isinstance(record.get("embed"), dict):
        return _bsky_record(record["embed"], str(author.get("did") or ""))
    return []


def _x(raw: dict[str, Any]) -> list[Attachment]:
    found = []
    for media in raw.get("media") or []:
        if isinstance(media, dict):
            kind = {"photo": "image", "animated_gif": "gif", "video": "video"}.get(
                str(media.get("type")), "file"
            )
            found.append(
                Attachment(
                    kind,
                    _web(media.get("url")),
                    _web(media.get("preview_image_url")),
                    str(media.get("alt_text") or ""),
                    *_size(media.get("width"), media.get("height")),
                )
            )
    if not found:
        keys = (
            (raw.get("attachments") or {}).get("media_keys")
            if isinstance(raw.get("attachments"), dict)
            else None
        )
        found = [Attachment("file") for _ in keys if isinstance(keys, list)] if isinstance(keys, list) else []
    return found


READERS = {"mastodon": _mastodon, "bluesky": _bluesky, "x": _x}


def attachments(network: str, raw_json: str) -> tuple[Attachment, ...]:
    """The attachments a post's stored payload describes (none for networks without media, or bad JSON)."""
    reader = READERS.get(network)
    if reader is None or not raw_json or raw_json == "{}":
        return ()
    try:
        raw = json.loads(raw_json)
    except ValueError:
        return ()
    if not isinstance(raw, dict):
        return ()
    try:
        return tuple(reader(raw))
    except (AttributeError, TypeError, ValueError):  # a payload of an unexpected shape shows no media
        return ()
