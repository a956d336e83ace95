"""Send then undo on the desk, driven as an agent does it: the reply comes back whole, at once."""

from __future__ import annotations

from textual.pilot import Pilot

from socialdesk.app import SocialDeskApp
from socialdesk.screens.review import ReviewScreen
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.reply_editor import ReplyEditor
from tests.ui.test_desk_keys import SIZE, ready
from tests.ui.waiting import settle


def shown_text(composer: Composer) -> str:
    """What the composer's editor draws on screen, as plain text (not only what it holds)."""
    editor = composer.query_one(ReplyEditor)
    return "\n".join(editor.render_line(y).text.rstrip() for y in range(editor.size.height)).strip()


async def queue_reply(pilot: Pilot[None], app: SocialDeskApp, words: str) -> Composer:
    """On the settled desk: type `words` into the composer, send, confirm the review; the composer."""
    await ready(pilot)
    await settle(pilot)
    composer = app.desk.query_one(Composer)
    await pilot.press("r", *words, "ctrl+s")
    await settle(pilot, until=lambda: isinstance(app.screen, ReviewScreen))
    await pilot.press("y")
    await settle(pilot)
    return composer


async def test_undo_after_escape_puts_the_exact_text_back_visibly(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        desk = desk_app.desk
        composer = await queue_reply(pilot, desk_app, "Sorry about the late parcel")
        assert composer.text == ""
        await pilot.press("escape", "u")
        await settle(pilot)
        post = desk.selected_post
        assert post is not None
        await settle(pilot, until=lambda: desk.ctx.store.draft(post.id) != "")  # the draft is saved
        await settle(pilot)
        assert composer.text == "Sorry about the late parcel"
        assert "Sorry about the late parcel" in shown_text(composer)
        assert desk.ctx.store.draft(post.id) == "Sorry about the late parcel"


async def test_after_send_the_undo_key_works_and_the_toast_names_it_and_goes(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        composer = await queue_reply(pilot, desk_app, "We are on it")
        toasts = [n.message for n in desk_app._notifications]
        assert any("Press u to undo" in t for t in toasts), toasts
        assert isinstance(desk_app.focused, FeedList)  # so `u` is the undo key, not a letter typed
        await pilot.press("u")  # no Escape first
        await settle(pilot)
        assert composer.text == "We are on it"
        assert "We are on it" in shown_text(composer)
        assert not any("to undo" in n.message for n in desk_app._notifications)
        assert any("taken back" in n.message for n in desk_app._notifications)


async def test_ctrl_r_undoes_from_the_composer(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        composer = await queue_reply(pilot, desk_app, "Back in a moment")
        await pilot.press("r", "ctrl+r")
        await settle(pilot)
        assert composer.text == "Back in a moment"


async def test_a_discarded_reply_goes_back_to_the_composer_from_the_outbox(desk_app: SocialDeskApp) -> None:
    from socialdesk.screens.outbox import OutboxScreen

    async with desk_app.run_test(size=SIZE) as pilot:
        composer = await queue_reply(pilot, desk_app, "Kept for later")
        await pilot.press("u")
        await settle(pilot)
        # The agent replaces the text (the old bug made the composer look empty): the draft is overwritten.
        composer.set_text("Something else", announce=True)
        post = desk_app.desk.selected_post
        assert post is not None
        await settle(pilot, until=lambda: desk_app.desk.ctx.store.draft(post.id) == "Something else")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(desk_app.screen, OutboxScreen)
        await pilot.press("e")
        await settle(pilot)
        assert desk_app.screen is desk_app.desk and isinstance(desk_app.focused, ReplyEditor)
        # What would have been sent, mention included (sending does not add it twice).
        assert composer.text == f"Something else\n\n@{post.author_handle} Kept for later"


async def test_ctrl_n_clears_the_draft_and_ctrl_z_brings_it_back(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        desk = desk_app.desk
        composer = desk.query_one(Composer)
        post = desk.selected_post
        assert post is not None
        await pilot.press("r", *"Half a thought")
        await settle(pilot, until=lambda: desk.ctx.store.draft(post.id) == "Half a thought")
        await pilot.press("ctrl+n")
        await settle(pilot, until=lambda: desk.ctx.store.draft(post.id) == "")
        assert composer.text == "" and shown_text(composer) == ""
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert composer.text == "Half a thought"
        await pilot.press("escape", "ctrl+n")  # from the feed too
        await settle(pilot, until=lambda: desk.ctx.store.draft(post.id) == "")
        assert composer.text == ""


async def test_the_desk_queues_into_the_apps_one_outbox(desk_app: SocialDeskApp) -> None:
    """The outbox view, the reply keys and the outbox worker share one outbox (and its connectors)."""
    from socialdesk.screens.outbox import OutboxScreen

    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert desk_app.desk.outbox is desk_app.outbox
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(desk_app.screen, OutboxScreen) and desk_app.screen.outbox is desk_app.outbox
