"""A search hit the network would not let us answer is marked in the feed (X's self-serve reply rule)."""

from __future__ import annotations

from socialdesk.cli import make_app
from socialdesk.context import Context
from socialdesk.models import Author, Post
from socialdesk.widgets.feed_list import FeedList
from tests.conftest import FIXED_NOW
from tests.ui.lines import drawn_lines
from tests.ui.waiting import settle


async def test_a_search_hit_we_may_not_answer_shows_no_reply(
    demo_context: Context, pinned_clock: float
) -> None:
    hit = Post(
        network="x",
        native_id="1790000000000000001",
        author=Author("42", "stranger", "Stranger"),
        text="acme broke my phone",
        created_at=FIXED_NOW + 1,
        account="demo",
        kind="search",
        raw={"id": "1790000000000000001", "reply_limited": True},
    )
    demo_context.store.upsert_posts([hit])
    app = make_app(demo_context, sync=False, sources=[])
    async with app.run_test(size=(140, 30)) as pilot:
        feed: FeedList = app.desk.feed
        await settle(pilot, until=lambda: bool(feed.window.rows))
        lines = drawn_lines(feed)
        (row,) = [line for line in lines if "@stranger" in line]
        assert "no-reply acme" in row
        assert not any("no-reply" in line for line in lines if line is not row)
