"""Keyboard flows on the desk, driven with real key presses."""

from __future__ import annotations

from socialdesk import compose
from socialdesk.app import SocialDeskApp
from socialdesk.messages import PostsSynced
from socialdesk.models import Author, Post
from socialdesk.screens.help import HelpScreen
from socialdesk.services.sync import SourceState, SyncReport
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.feed_list import FeedList
from socialdesk.widgets.reply_editor import ReplyEditor
from socialdesk.widgets.status_bar import StatusBar
from socialdesk.widgets.thread_view import ThreadView
from tests.conftest import FIXED_NOW
from tests.ui.lines import drawn_lines
from tests.ui.waiting import settle

SIZE = (140, 40)


async def ready(pilot) -> FeedList:  # type: ignore[no-untyped-def]
    feed: FeedList = pilot.app.desk.feed
    await settle(pilot, until=lambda: bool(feed.window.rows) and feed.window.exact)
    return feed


async def test_j_k_g_G_pgdn_move_the_cursor(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        total = feed.window.total
        assert total > 300 and feed.cursor == 0
        await pilot.press("j", "j", "down")
        assert feed.cursor == 3
        await pilot.press("k", "up")
        assert feed.cursor == 1
        await pilot.press("pagedown")
        assert feed.cursor > 20
        await pilot.press("G")
        await settle(pilot)
        assert feed.cursor == total - 1 and feed.current is not None
        oldest = desk_app.desk.ctx.store.conn.execute(
            "SELECT id FROM posts WHERE is_ours = 0 ORDER BY created_at, id LIMIT 1"
        ).fetchone()[0]
        assert feed.current.id == oldest
        await pilot.press("pageup", "g")
        await settle(pilot)
        assert feed.cursor == 0


async def test_highlight_loads_thread_and_customer(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await pilot.press("j")
        await settle(pilot)
        thread = desk_app.desk.query_one(ThreadView)
        customer = desk_app.desk.query_one(CustomerPane)
        assert thread.data is not None and thread.data.thread.focus.id == feed.current.id  # type: ignore[union-attr]
        assert customer.data is not None
        assert customer.data.customer.id == feed.current.customer_id  # type: ignore[union-attr]


async def test_enter_r_tab_and_the_counter(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(desk_app.focused, ThreadView)
        await pilot.press("r")
        assert isinstance(desk_app.focused, ReplyEditor)
        await pilot.press(*"Sorry to hear that")
        composer = desk_app.desk.query_one(Composer)
        counter = str(composer.query_one("#composer-counter").render())
        result = composer.measure()
        # The count covers what will be posted: the mention the network needs, then the text.
        post = desk_app.desk.selected_post
        assert composer.prefix.startswith("@") and post is not None and post.author_handle in composer.prefix
        assert result.count == compose.length(composer.prefix + "Sorry to hear that", post.network)
        assert f"{result.count}/{result.limit}" in counter
        # q types a q while writing; it does not quit.
        await pilot.press("q")
        assert composer.text.endswith("q")
        await pilot.press("escape")
        assert isinstance(desk_app.focused, FeedList)
        await pilot.press("tab")
        assert isinstance(desk_app.focused, ThreadView)
        await pilot.press("shift+tab")
        assert isinstance(desk_app.focused, FeedList)


async def test_counter_warns_then_errors(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        composer = desk_app.desk.query_one(Composer)
        counter = composer.query_one("#composer-counter")
        limit = composer.measure().limit
        room = limit - len(composer.prefix)  # the mention the network needs counts too
        composer.set_text("a" * (room - 5))
        assert counter.has_class("-warning") and not counter.has_class("-error")
        composer.set_text("a" * (room + 1))
        assert counter.has_class("-error")


async def test_draft_survives_moving_away(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        first = feed.current
        await pilot.press("r", *"draft one", "escape", "j")
        await settle(pilot)
        assert desk_app.desk.ctx.store.draft(first.id) == "draft one"  # type: ignore[union-attr]
        await pilot.press("k")
        await settle(pilot)
        assert desk_app.desk.query_one(Composer).text == "draft one"


async def test_help_lists_every_binding_with_its_id(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(desk_app.screen, HelpScreen)
        from socialdesk.screens.help import binding_rows

        ids = {row[0] for row in binding_rows(desk_app.desk, desk_app)}
        assert {
            "feed.down",
            "feed.up",
            "feed.top",
            "feed.bottom",
            "thread.open",
            "composer.focus",
            "search.open",
            "help.show",
            "app.quit",
        } <= ids
        await pilot.press("escape")
        assert desk_app.screen is desk_app.desk


async def test_search_replaces_the_feed(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        everything = feed.window.total
        await pilot.press("slash", *"refund", "enter")
        await settle(pilot)
        assert 0 < feed.window.total < everything
        assert all("refund" in r.text.lower() for r in feed.window.rows)
        assert "refund" in desk_app.desk.query_one(StatusBar).view_title


async def test_new_posts_arrive_on_top_without_moving_the_cursor(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await pilot.press("j", "j", "j")
        before = feed.current
        store = desk_app.desk.ctx.store
        new = [
            Post("x", f"fresh-{i}", Author("fresh", "fresh", "Fresh"), f"new post {i}", FIXED_NOW + 30 + i)
            for i in range(4)
        ]
        report = SyncReport("demo", SourceState.OK, new_ids=store.upsert_posts(new).inserted)
        desk_app.desk.post_message(PostsSynced(report))
        await settle(pilot)
        assert feed.current is not None and feed.current.id == before.id  # type: ignore[union-attr]
        assert feed.cursor == 7
        assert desk_app.desk.query_one(StatusBar).new_count == 4
        await pilot.press("g")
        await settle(pilot)
        assert feed.current.native_id == "fresh-3"
        assert desk_app.desk.query_one(StatusBar).new_count == 0


async def test_hostile_text_is_shown_as_plain_text(desk_app: SocialDeskApp) -> None:
    store = desk_app.ctx.store
    hostile = Post(
        "x",
        "evil-1",
        Author("evil", "ev[bold]il", "[red]Mallory[/red]\x1b]0;pwn\x07"),
        "[blink]free money[/blink] \x1b[2J\u202egnp.exe",
        FIXED_NOW + 100,
    )
    store.upsert_posts([hostile])
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        assert feed.current is not None and feed.current.native_id == "evil-1"
        top = drawn_lines(feed)[0]
        assert "[blink]free money[" in top and "@ev[bold]il" in top
        assert "\x1b" not in top and "\u202e" not in top
        thread = desk_app.desk.query_one(ThreadView)
        text = "\n".join(drawn_lines(thread))
        assert "[blink]free money[/blink]" in text and "\u202e" not in text and "\x1b" not in text


async def test_failing_source_shows_in_the_header(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        from socialdesk.messages import SourceStateChanged

        desk_app.desk.post_message(
            SourceStateChanged(
                SyncReport("mastodon-support", SourceState.NEEDS_AUTH, message="401 token revoked")
            )
        )
        await settle(pilot)
        bar = str(desk_app.desk.query_one(StatusBar).render())
        assert "mastodon-support: 401 token revoked" in bar and "DEMO" in bar


async def test_the_header_says_how_far_back_a_source_reached(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        from socialdesk.messages import SourceStateChanged

        desk_app.desk.post_message(
            SourceStateChanged(SyncReport("support", SourceState.OK, reached=FIXED_NOW))
        )
        await settle(pilot)
        bar = str(desk_app.desk.query_one(StatusBar).render())
        assert "support: ok, back to 18 Nov" in bar


async def test_q_quits(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await settle(pilot)
    assert desk_app.return_code == 0


async def test_bindings_can_be_remapped_from_config(demo_context, pinned_clock) -> None:  # type: ignore[no-untyped-def]
    from socialdesk.cli import make_app

    demo_context.settings.keys = {"feed.down": "J", "feed.up": "K"}
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await pilot.press("J", "J", "J", "K")
        assert feed.cursor == 2
        await pilot.press("j")  # the old key no longer moves
        assert feed.cursor == 2


async def test_history_loads_older_pages(desk_app: SocialDeskApp) -> None:
    store = desk_app.ctx.store
    posts = [
        Post(
            "x", f"loud-{i}", Author("loud", "loudvoice", "Loud Voice"), f"complaint {i}", FIXED_NOW - i * 60
        )
        for i in range(120)
    ]
    store.upsert_posts(posts)
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        pane = desk_app.desk.query_one(CustomerPane)
        assert pane.data is not None and len(pane.data.history) == 50 and pane.data.more
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert len(pane.data.history) == 100
        assert [p.native_id for p in pane.data.history] == [f"loud-{i}" for i in range(100)]


async def test_palette_offers_queues_themes_and_desk_commands(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = [c.title for c in desk_app.get_system_commands(desk_app.screen)]
        assert "Queue: Needs reply" in titles and "Theme: socialdesk-light" in titles
        assert {"Outbox", "Sync now", "Search posts", "Next conversation"} <= set(titles)
        command = next(
            c for c in desk_app.get_system_commands(desk_app.screen) if c.title == "Queue: Negative"
        )
        command.callback()
        await settle(pilot)
        assert desk_app.desk.view_title == "Negative"
        assert all(r.sentiment_label == "negative" for r in desk_app.desk.feed.window.rows)


async def test_next_opens_the_claimed_conversation_and_replies_show_in_it(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        desk = desk_app.desk
        claimed = desk.selected_post
        assert claimed is not None and claimed.priority == 3  # the most urgent conversation first
        assert desk.query_one(ThreadView).data.thread.focus.id == claimed.id  # type: ignore[union-attr]
        row = desk.ctx.store.conn.execute(
            "SELECT assigned_to FROM posts WHERE id = ?", (claimed.id,)
        ).fetchone()
        assert row[0] == desk.ctx.agent.name
        # A reply recorded for it appears in the thread once the screen refreshes.
        desk.ctx.store.conn.execute(
            "INSERT INTO replies (post_id, network, text, state, idempotency_key, created_at, updated_at) "
            "VALUES (?, ?, 'on it!', 'sent', 'k1', 0, 0)",
            (claimed.id, claimed.network),
        )
        desk.refresh_thread()
        await settle(pilot)
        view = desk.query_one(ThreadView).data
        assert view is not None and view.replies[claimed.id][0][:2] == ("on it!", "sent")


async def test_worker_errors_are_notified_as_plain_text(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)

        def boom() -> None:
            raise RuntimeError("server said [bold]nope[/bold] [link=x]")

        desk_app.run_worker(boom, thread=True, exit_on_error=False, description="Syncing acct")
        await settle(pilot)
        (note,) = list(desk_app._notifications)
        assert "server said [bold]nope[/bold] [link=x]" in note.message and note.markup is False


async def test_claimed_conversation_stays_open_while_posts_arrive(desk_app: SocialDeskApp) -> None:
    """`n` opens the claimed post even when it is far down the feed; arrivals and reloads don't steal it."""
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        desk = desk_app.desk
        store = desk.ctx.store
        await pilot.press("n")
        for i in range(4):  # posts keep arriving while the agent reads the claimed conversation
            new = [Post("x", f"live-{i}", Author("live", "live", "Live"), f"live {i}", FIXED_NOW + 40 + i)]
            report = SyncReport("demo", SourceState.OK, new_ids=store.upsert_posts(new).inserted)
            desk.post_message(PostsSynced(report))
            await settle(pilot)
        claimed = store.conn.execute("SELECT id FROM posts WHERE assigned_to != ''").fetchone()[0]
        assert desk.selected_post is not None and desk.selected_post.id == claimed
        assert desk.query_one(ThreadView).data.thread.focus.id == claimed  # type: ignore[union-attr]
        assert desk.query_one(Composer).target.startswith("Reply to @")
        # The window's indexes stay true: the row under the cursor is the row the feed says it is.
        expected = [
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM posts WHERE is_ours = 0 ORDER BY created_at DESC, id DESC"
            )
        ]
        assert feed.window.total == len(expected)
        assert [r.id for r in feed.window.rows] == expected[feed.window.start : feed.window.end]
        # Moving in the feed takes the agent back to the post under the cursor.
        await pilot.press("j")
        await settle(pilot)
        assert desk.selected_post is not None and desk.selected_post.id == feed.current.id  # type: ignore[union-attr]


async def test_switching_views_releases_a_claimed_post(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        claimed = desk_app.desk.selected_post
        await pilot.press("slash", *"refund", "enter")
        await settle(pilot)
        assert feed.current is not None and "refund" in feed.current.text.lower()
        assert desk_app.desk.selected_post is not None and desk_app.desk.selected_post.id == feed.current.id
        assert claimed is not None and claimed.id != feed.current.id


async def test_customer_pane_ignores_the_author_of_a_post_moved_past(desk_app: SocialDeskApp) -> None:
    """A customer read for the cursor's post that lands after `n` opened another must not replace it."""
    from socialdesk.messages import CustomerLoaded
    from socialdesk.store import queries
    from socialdesk.viewmodels import CustomerView

    async with desk_app.run_test(size=SIZE) as pilot:
        feed = await ready(pilot)
        await settle(pilot)
        passed_over = feed.current
        await pilot.press("n")
        await settle(pilot)
        desk = desk_app.desk
        focus = desk.query_one(ThreadView).data.thread.focus  # type: ignore[union-attr]
        assert passed_over is not None and passed_over.customer_id != focus.customer_id
        stale = queries.customer(desk.ctx.store.conn, passed_over.customer_id)  # type: ignore[arg-type]
        assert stale is not None
        desk.post_message(CustomerLoaded(CustomerView(stale), passed_over.id))
        await settle(pilot)
        shown = desk.query_one(CustomerPane).data
        assert shown is not None and shown.customer.id == focus.customer_id


async def test_the_footer_offers_the_keys_of_the_focused_pane(desk_app: SocialDeskApp) -> None:
    from socialdesk.widgets.key_footer import KeyFooter

    def offered() -> set[str]:
        return {key.description for key in desk_app.desk.query_one(KeyFooter).shown if key.enabled}

    async with desk_app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert {"Reply", "Search", "Outbox"} <= offered() and "Send" not in offered()
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert {"Send", "Canned reply"} <= offered() and "Reply" not in offered()
        await pilot.press("escape")
        await settle(pilot)
        assert "Reply" in offered() and "Send" not in offered()
