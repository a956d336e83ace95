"""SVG snapshots of the agent tools' modals (--snapshot-update only after reading the diff)."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.screens.note import PromptScreen
from tests.ui.test_snapshots import SIZE, loaded
from tests.ui.waiting import settle


def test_pipe_output_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("|")
        await settle(pilot, until=lambda: isinstance(pilot.app.screen, PromptScreen))
        await pilot.press(*"tr a-z A-Z", "enter")
        await settle(pilot, until=lambda: type(pilot.app.screen).__name__ == "PipeOutputScreen")

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_review_held_for_personal_data(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("r")
        pilot.app.desk.set_composer_text("Refunded to card 4111 1111 1111 1111, mail ana@example.org")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_customer_profile_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("i")
        await settle(pilot, until=lambda: type(pilot.app.screen).__name__ == "ProfileScreen")
        await pilot.press(*"ana@example.org")

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_attachments_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    from socialdesk.models import Author, Post

    media = [
        {"type": "image", "url": "https://files.example/a.png", "description": "A dented box on a doorstep"},
        {"type": "video", "url": "https://files.example/b.mp4", "description": None},
    ]

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        store = pilot.app.ctx.store
        raw = {"id": "778", "media_attachments": media}
        store.upsert_posts(
            [Post("mastodon", "778", Author("m", "mo@m.example"), "it came like this", 1.0, raw=raw)]
        )
        post_id = store.conn.execute("SELECT id FROM posts WHERE native_id = '778'").fetchone()[0]
        pilot.app.desk.select_post(post_id)
        await settle(
            pilot, until=lambda: bool(pilot.app.desk.shown_thread() and pilot.app.desk.shown_thread().media)
        )
        await pilot.press("v")
        await settle(pilot, until=lambda: type(pilot.app.screen).__name__ == "MediaScreen")

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)
