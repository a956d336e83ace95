"""Attachments read from each network's payload (alt text kept), and image bytes treated as hostile."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from socialdesk.errors import UserError
from socialdesk.services import media_fetch
from socialdesk.services.media import attachments
from socialdesk.viewmodels import Attachment

# A Mastodon status as /api/v1/notifications delivers it: the status inside the notification.
MASTODON = {
    "type": "mention",
    "status": {
        "id": "1",
        "media_attachments": [
            {
                "id": "9",
                "type": "image",
                "url": "https://files.example/original/a.png",
                "preview_url": "https://files.example/small/a.png",
                "remote_url": None,
                "meta": {"original": {"width": 640, "height": 480}},
                "description": "A cracked phone screen",
            },
            {
                "id": "10",
                "type": "gifv",
                "url": "https://files.example/b.mp4",
                "description": None,
                "meta": {},
            },
        ],
    },
}
# app.bsky.feed.defs#postView (search results, threads): the view of a quote with media.
BSKY_VIEW = {
    "uri": "at://did:plc:abc/app.bsky.feed.post/3k",
    "author": {"did": "did:plc:abc", "handle": "ana.bsky.social"},
    "record": {"text": "look"},
    "embed": {
        "$type": "app.bsky.embed.recordWithMedia#view",
        "record": {"record": {}},
        "media": {
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:abc/bafk@jpeg",
                    "fullsize": "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:abc/bafk@jpeg",
                    "alt": "Receipt",
                    "aspectRatio": {"width": 3, "height": 4},
                }
            ],
        },
    },
}
# A notification carries the bare record: its images are blobs, served by the CDN by DID and CID.
BSKY_RECORD = {
    "uri": "at://did:plc:abc/app.bsky.feed.post/3l",
    "author": {"did": "did:plc:abc", "handle": "ana.bsky.social"},
    "record": {
        "text": "broken",
        "embed": {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "alt": "",
                    "image": {
                        "$type": "blob",
                        "ref": {"$link": "bafkreiabc"},
                        "mimeType": "image/jpeg",
                        "size": 1,
                    },
                }
            ],
        },
    },
}
# An X post with includes.media matched by media key, as the X connector stores it.
X_POST = {
    "id": "5",
    "attachments": {"media_keys": ["3_1", "7_2"]},
    "media": [
        {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/a.jpg", "alt_text": "Box"},
        {"media_key": "7_2", "type": "video", "preview_image_url": "https://pbs.twimg.com/p.jpg"},
    ],
}


def test_mastodon_attachments_with_their_descriptions() -> None:
    assert attachments("mastodon", json.dumps(MASTODON)) == (
        Attachment(
            "image",
            "https://files.example/original/a.png",
            "https://files.example/small/a.png",
            "A cracked phone screen",
            640,
            480,
        ),
        Attachment("gif", "https://files.example/b.mp4", "", ""),
    )


def test_bluesky_views_and_bare_records() -> None:
    (view,) = attachments("bluesky", json.dumps(BSKY_VIEW))
    assert (view.kind, view.alt, view.width, view.height) == ("image", "Receipt", 3, 4)
    assert view.url.endswith("feed_fullsize/plain/did:plc:abc/bafk@jpeg")
    (record,) = attachments("bluesky", json.dumps(BSKY_RECORD))
    assert record.url == "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:abc/bafkreiabc@jpeg"
    assert record.alt == ""


def test_x_media_and_keys_alone() -> None:
    photo, video = attachments("x", json.dumps(X_POST))
    assert (photo.kind, photo.url, photo.alt) == ("image", "https://pbs.twimg.com/media/a.jpg", "Box")
    assert (video.kind, video.url, video.preview_url) == ("video", "", "https://pbs.twimg.com/p.jpg")
    bare = {"id": "6", "attachments": {"media_keys": ["3_9"]}}
    assert attachments("x", json.dumps(bare)) == (Attachment("file"),)


def test_hostile_payloads_show_no_media_or_no_address() -> None:
    evil = {"media_attachments": [{"type": "image", "url": "javascript:alert(1)", "description": "x"}]}
    assert attachments("mastodon", json.dumps(evil))[0].url == ""
    assert attachments("mastodon", "not json") == ()
    assert attachments("mastodon", json.dumps({"media_attachments": "nope"})) == ()
    assert (
        attachments("bluesky", json.dumps({"embed": {"$type": "app.bsky.embed.images#view", "images": 3}}))
        == ()
    )
    assert attachments("jsonl", json.dumps(MASTODON)) == ()


def test_a_dimension_that_is_no_finite_number_is_unknown_not_a_failure() -> None:
    # Python's json reads Infinity and NaN: int() of them raised OverflowError and lost the media.
    for width in ("Infinity", "NaN", '"wide"', "[1]"):
        raw = (
            '{"media_attachments": [{"type": "image", "url": "https://m.example/a.png", '
            f'"meta": {{"original": {{"width": {width}, "height": 600}}}}}}]}}'
        )
        found = attachments("mastodon", raw)
        assert [(a.url, a.width, a.height) for a in found] == [("https://m.example/a.png", 0, 0)], width


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_decode_makes_a_small_preview_and_refuses_garbage_and_bombs(monkeypatch: pytest.MonkeyPatch) -> None:
    image = media_fetch.decode(png(1024, 512))
    assert image.size == (256, 128) and image.mode == "RGB"
    with pytest.raises(UserError, match="cannot be decoded"):
        media_fetch.decode(b"\x89PNG\r\n\x1a\n not really", "attachment 1")
    monkeypatch.setattr(media_fetch, "MAX_PIXELS", 100)
    with pytest.raises(UserError, match="too large to decode safely"):
        media_fetch.decode(png(30, 30))


@pytest.fixture
def server() -> Iterator[str]:
    """A real HTTP server: /small.png, /big (no length announced), /missing."""
    body = png(8, 8)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/small.png":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/big":
                self.send_response(200)
                self.end_headers()  # no length: the download must count as it reads
                self.wfile.write(b"x" * 5000)
            else:
                self.send_response(404)
                self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_is_size_limited_and_errors_are_one_line(server: str) -> None:
    assert media_fetch.decode(media_fetch.download(f"{server}/small.png")).size == (8, 8)
    with pytest.raises(UserError, match="over 4 KiB"):
        media_fetch.download(f"{server}/big", max_bytes=4096)
    with pytest.raises(UserError, match="answered 404"):
        media_fetch.download(f"{server}/missing")
    with pytest.raises(UserError, match="no web address"):
        media_fetch.download("file:///etc/passwd")


def test_half_blocks_scale_to_fit_and_pair_rows() -> None:
    from socialdesk.widgets.picture import half_block_rows

    image = Image.new("RGB", (4, 4), (0, 0, 255))
    image.putpixel((0, 0), (255, 0, 0))
    rows = half_block_rows(image, columns=4, rows=2)
    assert len(rows) == 2 and len(rows[0]) == 4
    assert rows[0][0] == ((255, 0, 0), (0, 0, 255))  # top pixel red, the one under it blue
    assert len(half_block_rows(Image.new("RGB", (100, 10)), columns=20, rows=20)[0]) == 20
