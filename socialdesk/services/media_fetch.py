"""Fetching an attachment's image for a preview: size-limited, decoded defensively, errors in one line.

Image bytes are hostile input: the download stops at `MAX_BYTES`, Pillow refuses images of more than
`MAX_PIXELS` (a small file can decode to gigabytes), and anything that does not decode is a UserError.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from socialdesk.errors import UserError

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
PREVIEW_SIDE = 256  # pixels: a terminal preview never needs more
TIMEOUT = 15.0


def download(url: str, max_bytes: int | None = None) -> bytes:
    """The bytes at `url` (http or https only), at most `max_bytes` (default `MAX_BYTES`).

    Raises:
        UserError: not a web address, the server refused, the connection failed, or it is too large.
    """
    import httpx

    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    host = urlsplit(url).hostname or "?"
    if urlsplit(url).scheme not in ("http", "https"):
        raise UserError("This attachment has no web address to fetch")
    try:
        with httpx.stream("GET", url, timeout=TIMEOUT, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise UserError(f"{host} answered {response.status_code} for the image")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise UserError(
                    f"The image from {host} is {int(declared) // 1024} KiB: over {max_bytes // 1024} KiB"
                )
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise UserError(f"The image from {host} is over {max_bytes // 1024} KiB: not shown")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise UserError(f"Cannot fetch the image from {host}: {type(exc).__name__}") from None
    return b"".join(chunks)


def decode(data: bytes, where: str = "the attachment") -> Image:
    """A small RGB image from encoded bytes (PNG, JPEG, GIF's first frame, WebP ...).

    Raises:
        UserError: the bytes are not an image Pillow reads, or it is too large to decode safely.
    """
    from PIL import Image as PILImage

    PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS  # larger raises DecompressionBombError, not a memory blow-up
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            image.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))  # JPEG: decode at a fraction of the size
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            return image.convert("RGB")
    except PILImage.DecompressionBombError:
        raise UserError(f"The image of {where} is too large to decode safely") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # what Pillow raises on bad data
        raise UserError(f"The image of {where} cannot be decoded: {str(exc)[:120]}") from None
