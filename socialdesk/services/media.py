"""A post's attachments (images, video, audio) with their alt text, read from the payload each network sent.

Mastodon: the status's `media_attachments`. Bluesky: the post view's embed (`app.bsky.embed.images#view`,
`video#view`, inside `recordWithMedia#view` too), or the bare record's blobs (notifications carry the
record, whose images are served by the CDN). X: the post's `media` (from the page's `includes.media`,
requested with `expansions=attachments.media_keys`); media keys alone say only how many there are.
"""

from __future__ import annotations

import json

from socialdesk.viewmodels import Attachment

BSKY_CDN = "https://cdn.bsky.app/img"
_MASTODON_KINDS = {"image": "image", "gifv": "gif", "video": "video", "audio": "audio"}


def _web(url: object) -> str:
    """Only plain web addresses are kept: a payload's other schemes are never opened or fetched."""
    text = str(url or "").strip()
    return (
        text
        if text.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in text)
        else ""
    )


def _dict(value: object) -> dict[str, object]:
    """A JSON object of the payload (anything else: an empty one)."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    """A JSON array of the payload (anything else: an empty one)."""
    return value if isinstance(value, list) else []


def _dimension(value: object) -> int | None:
    """A width or height in pixels: 0 when absent, None when it is not a (finite) number."""
    if not value:
        return 0
    if not isinstance(value, int | float | str):
        return None
    try:
        return max(0, int(value))
    except (ValueError, OverflowError):  # "wide", NaN, Infinity (Python's json reads the last two)
        return None


def _size(width: object, height: object) -> tuple[int, int]:
    """Both dimensions, or (0, 0) when either is not a number."""
    w, h = _dimension(width), _dimension(height)
    return (0, 0) if w is None or h is None else (w, h)


def _mastodon(raw: dict[str, object]) -> list[Attachment]:
    status = _dict(raw.get("status")) or raw
    status = _dict(status.get("reblog")) or status
    found = []
    for media in _list(status.get("media_attachments")):
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


def _bsky_view(embed: dict[str, object]) -> list[Attachment]:
    kind = str(embed.get("$type") or "")
    if kind == "app.bsky.embed.recordWithMedia#view" and (media := _dict(embed.get("media"))):
        return _bsky_view(media)
    if kind == "app.bsky.embed.images#view":
        found = []
        for image in _list(embed.get("images")):
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


def _bsky_record(embed: dict[str, object], did: str) -> list[Attachment]:
    kind = str(embed.get("$type") or "")
    if kind == "app.bsky.embed.recordWithMedia" and (media := _dict(embed.get("media"))):
        return _bsky_record(media, did)
    found = []
    if kind == "app.bsky.embed.images":
        for image in _list(embed.get("images")):
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


def _bluesky(raw: dict[str, object]) -> list[Attachment]:
    view = _dict(raw.get("post")) or raw
    if embed := _dict(view.get("embed")):
        return _bsky_view(embed)
    record = _dict(view.get("record"))
    author = _dict(view.get("author"))
    if embed := _dict(record.get("embed")):
        return _bsky_record(embed, str(author.get("did") or ""))
    return []


def _x(raw: dict[str, object]) -> list[Attachment]:
    found = []
    for media in _list(raw.get("media")):
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
        found = [Attachment("file") for _ in _list(_dict(raw.get("attachments")).get("media_keys"))]
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
