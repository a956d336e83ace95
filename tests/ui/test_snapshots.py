"""SVG snapshots of each screen (update with --snapshot-update only after reading the diff)."""

from __future__ import annotations

import pytest

from socialdesk.app import SocialDeskApp
from tests.conftest import FIXED_NOW
from tests.ui.waiting import settle

SIZE = (140, 40)


async def loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the feed, the thread and the customer pane have loaded."""
    desk = pilot.app.desk

    def shown() -> bool:
        window = desk.feed.window
        return bool(window.rows) and window.exact and desk.query_one("ThreadView").data is not None

    await settle(pilot, until=shown)


def test_main_screen(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("j", "j")
        await loaded(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_main_screen_writing_a_reply(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("r", *"Hi! So sorry about the wait, could you DM us your order number?")
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_light_theme(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    desk_app.theme = "socialdesk-light"

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_high_contrast_theme(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    desk_app.theme = "socialdesk-high-contrast"

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)

    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def _modal(keys: tuple[str, ...], text: str = ""):  # type: ignore[no-untyped-def]
    """A run_before that loads the desk, writes `text` in the composer if any, then presses `keys`."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        if text:
            await pilot.press("r")
            pilot.app.desk.set_composer_text(text)
            await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


LONG_REPLY = " ".join(
    ["We are so sorry about the outage this morning: every order placed between 8 and 10 will be refunded."]
    * 4
)


def test_review_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    run_before = _modal(("ctrl+s",), "Sorry about the wait, could you DM us your order number?")
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=run_before)


def test_review_modal_for_a_thread(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("ctrl+l",), LONG_REPLY))


def test_macro_picker_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("r", "ctrl+t")))


def test_note_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("N",)))


def test_escalate_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("exclamation_mark",)))


def _queue_a_reply(app: SocialDeskApp, needs_approval: bool) -> None:
    """One reply in the outbox (waiting for approval, or for its undo window), at the pinned time."""
    from socialdesk.services.outbox import Outbox

    outbox = Outbox(app.desk.ctx.store, lambda network, account: None, clock=lambda: FIXED_NOW)  # type: ignore[arg-type,return-value]
    post_id = app.desk.ctx.store.conn.execute("SELECT min(id) FROM posts WHERE is_ours = 0").fetchone()[0]
    outbox.enqueue(
        post_id, "Sorry about that! Could you DM us your order number?", "bob", needs_approval=needs_approval
    )


def test_outbox_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    _queue_a_reply(desk_app, needs_approval=False)
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("o",)))


def test_approvals_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    desk_app.desk.ctx.settings.desk.roles = ["agent", "approver"]
    _queue_a_reply(desk_app, needs_approval=True)
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("A",)))


def test_search_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("slash", *"refund")))


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (240, 60)], ids=["80x24", "120x40", "240x60"])
def test_main_screen_after_resizing(snap_compare, desk_app: SocialDeskApp, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Opened at 160x48, then the terminal resized: the panes wrap to the new size, nothing stale stays."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.resize_terminal(*size)
        await settle(pilot)

    assert snap_compare(desk_app, terminal_size=(160, 48), run_before=run_before)


def test_quit_with_a_reply_pending_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    _queue_a_reply(desk_app, needs_approval=False)
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("q",)))


def test_empty_search(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("slash", *"zzqqxx", "enter")))


def test_sentiment_choice_modal(snap_compare, desk_app: SocialDeskApp) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(desk_app, terminal_size=SIZE, run_before=_modal(("S",)))
