"""The `w` key: why the selected post is where it is (the rules that fired), in a modal."""

from __future__ import annotations

from socialdesk.app import SocialDeskApp
from socialdesk.screens.explain import ExplainScreen
from tests.ui.waiting import settle

SIZE = (140, 40)


async def test_w_explains_the_selected_post(desk_app: SocialDeskApp) -> None:
    async with desk_app.run_test(size=SIZE) as pilot:
        feed = desk_app.desk.feed
        await settle(pilot, until=lambda: bool(feed.window.rows) and feed.window.exact)
        store = desk_app.ctx.store
        # The demo's most urgent outage post: the bundled playbook's "outage wave" rule fired for it.
        (post_id,) = store.conn.execute(
            "SELECT p.id FROM posts p JOIN post_tags t ON t.post_id = p.id AND t.tag = 'outage' "
            "WHERE p.is_ours = 0 ORDER BY p.id LIMIT 1"
        ).fetchone()
        desk_app.desk.select_post(post_id)
        await settle(pilot, until=lambda: getattr(desk_app.desk.selected_post, "id", None) == post_id)
        await pilot.press("w")
        await settle(pilot, until=lambda: isinstance(desk_app.screen, ExplainScreen))
        screen = desk_app.screen
        assert isinstance(screen, ExplainScreen)
        assert screen.lines[0].startswith(f"post {post_id} by ")
        fired = [line for line in screen.lines if ". outage wave: " in line]
        assert fired and "tags outage, queue:outages" in fired[0], screen.lines
        assert screen.lines[-2].startswith("result: priority 3 urgent"), screen.lines
        await pilot.press("escape")
        await settle(pilot, until=lambda: not isinstance(desk_app.screen, ExplainScreen))
