"""Pilot tests of attachments: the thread lists them with alt text, v opens them, previews in a worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from socialdesk.app import SocialDeskApp
from socialdesk.config import load
from socialdesk.errors import UserError
from socialdesk.models import Author, Post
from socialdesk.screens.media import MediaScreen
from socialdesk.services import media_fetch
from socialdesk.widgets import terminal_images
from socialdesk.widgets.picture import Picture
from socialdesk.widgets.thread_view import ThreadView
from tests.ui.lines import drawn_lines
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle
from tests.unit.test_media import server  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("server")


def status(base: str) -> dict[str, object]:
    return {
        "id": "777",
        "media_attachments": [
            {
                "type": "image",
                "url": f"{base}/small.png",
                "preview_url": f"{base}/small.png",
                "description": "Bent box",
            },
            {"type": "image", "url": f"{base}/big", "preview_url": f"{base}/big", "description": None},
            {
                "type": "image",
                "url": f"{base}/missing",
                "preview_url": f"{base}/missing",
                "description": None,
            },
        ],
    }


async def open_post_with_media(pilot, base: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    raw = status(base)
    app.ctx.store.upsert_posts(
        [Post("mastodon", "777", Author("m", "mo@m.example"), "my order came like this", 1.0, raw=raw)]
    )
    post_id = app.ctx.store.conn.execute("SELECT id FROM posts WHERE native_id = '777'").fetchone()[0]
    app.desk.select_post(post_id)
    thread = app.desk.query_one(ThreadView)
    await settle(pilot, until=lambda: thread.data is not None and thread.data.thread.focus.id == post_id)


async def test_the_thread_lists_attachments_and_v_previews_them(
    desk_app: SocialDeskApp,
    server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(media_fetch, "MAX_BYTES", 4096)  # /big sends 5000 bytes
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await open_post_with_media(pilot, server)
        lines = "\n".join(drawn_lines(desk_app.desk.query_one(ThreadView)))
        assert "3 attachment(s)" in lines and "image: Bent box" in lines and "image: no alt text" in lines
        await pilot.press("v")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, MediaScreen))
        screen = desk_app.screen
        picture = screen.query_one(Picture)
        await pilot.press("enter")
        await settle(pilot, until=lambda: picture.image is not None)
        assert picture.image is not None and picture.image.size == (8, 8)
        await pilot.press("j", "enter")
        await settle(pilot, until=lambda: picture.image is None and "KiB" in picture.message)
        await pilot.press("j", "enter")
        await settle(pilot, until=lambda: "404" in picture.message)
        assert "\n" not in picture.message
        opened: list[str] = []
        desk_app.open_url = lambda url, **kw: opened.append(url)  # type: ignore[method-assign]
        await pilot.press("o")
        assert opened == [f"{server}/missing"]


async def test_v_on_a_post_without_media_says_so(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot, until=lambda: desk_app.desk.shown_thread() is not None)
        await pilot.press("v")
        assert not isinstance(desk_app.screen, MediaScreen)
        assert any("no attachments" in n.message for n in desk_app._notifications)


async def test_with_images_terminal_the_preview_is_drawn_in_the_terminals_graphics(
    desk_app: SocialDeskApp,
    server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual_image.widget import Image as GraphicsImage

    monkeypatch.setattr(media_fetch, "MAX_BYTES", 4096)  # /big sends 5000 bytes
    terminal_images.prepare()
    try:
        async with desk_app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await open_post_with_media(pilot, server)
            await pilot.press("v")
            await settle(pilot, until=lambda: isinstance(desk_app.screen, MediaScreen))
            screen = desk_app.screen
            await pilot.press("enter")
            await settle(pilot, until=lambda: bool(screen.query(GraphicsImage)))
            assert not screen.query_one(Picture).display  # the half blocks step aside
            await pilot.press("j", "enter")  # the next one is too big: the message shows again
            await settle(pilot, until=lambda: "KiB" in screen.query_one(Picture).message)
            assert screen.query_one(Picture).display and not screen.query(GraphicsImage)
    finally:
        terminal_images.forget()


def test_images_blocks_never_asks_the_terminal(tmp_path: Path) -> None:
    """The default starts no terminal question (and no import of textual-image) before the desk."""
    code = (
        "import sys; from socialdesk.screens import media; "
        "print('textual_image' in sys.modules, media.terminal_images.prepared())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_images_must_be_blocks_or_terminal(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[desk]\nimages = "sixel"\n', encoding="utf-8")
    with pytest.raises(UserError) as refused:
        load(config)
    assert str(refused.value).endswith('desk.images must be "blocks" or "terminal", not \'sixel\'')
