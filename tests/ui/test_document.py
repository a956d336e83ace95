"""The document widget behind the thread and customer panes: lazy drawing, estimates, scrolling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial

from rich.text import Text
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from socialdesk.widgets.document import Block, DocumentView
from tests.ui.lines import drawn_lines

SIZE = (40, 12)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield DocumentView()


@asynccontextmanager
async def showing(blocks: Sequence[Block]) -> AsyncIterator[tuple[Pilot[None], DocumentView]]:
    """A document showing `blocks`, drawn once, and the pilot that drives it."""
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DocumentView)
        view.show(blocks)
        await pilot.pause()
        yield pilot, view


def long_thread(posts: int) -> list[Block]:
    """Posts whose text wraps to several lines at the test width (the estimate cannot know where)."""
    words = "refund " * 12 + "delivered late again"
    return [Block(Text(f"post {i}\n{words} end-{i}"), bar="red", gap=1) for i in range(posts)]


async def test_only_the_blocks_in_view_are_drawn() -> None:
    async with showing(long_thread(500)) as (_, view):
        assert "post 0" in "\n".join(drawn_lines(view))
        assert 0 < len(view._drawn) < 5  # a 500-post thread costs what a screenful costs
        assert view.virtual_size.height == view.line_count > 500 * 4


async def test_scrolling_to_the_end_shows_the_last_block_whole() -> None:
    async with showing(long_thread(60)) as (pilot, view):
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        # Drawing corrected the estimates on the way: the end is reachable and the last lines belong
        # to the last post, bar included.
        await pilot.press("end")
        await pilot.pause()
        text = "\n".join(drawn_lines(view))
        assert "end-59" in text and "▝" in text
        assert "post 0" not in text


async def test_every_line_is_drawn_once_in_order_when_scrolled_through() -> None:
    blocks = long_thread(8)
    async with showing(blocks) as (pilot, view):
        seen: list[str] = []
        for _ in range(200):
            seen.append(view.render_line(0).crop(0, view._width).text.strip())
            if view.scroll_offset.y >= view.max_scroll_y:
                break
            view.scroll_to(y=view.scroll_offset.y + 1, animate=False, immediate=True)
            await pilot.pause()
        posts = [line for line in seen if line.startswith("▐ post ")]
        assert posts == [f"▐ post {i}" for i in range(8)][: len(posts)] and len(posts) >= 7
        assert view.line_count == sum(len(view._render_block(b, view._width)) for b in blocks)


async def test_text_is_never_markup() -> None:
    async with showing([Block(Text("[bold]not bold[/bold] [link=x]y[/link]"))]) as (_, view):
        assert "[bold]not bold[/bold]" in drawn_lines(view)[0]


async def test_blocks_built_on_demand_are_built_only_when_drawn() -> None:
    built: list[int] = []

    def post(i: int) -> Text:
        built.append(i)
        return Text(f"post {i}\nbody")

    blocks = [Block(partial(post, i), bar="red", gap=1, hint="post\nbody") for i in range(500)]
    async with showing(blocks) as (_, view):
        assert "post 0" in "\n".join(drawn_lines(view))
        assert 0 < len(set(built)) < 5


def thumb_rows(view: DocumentView) -> list[int]:
    """The visible lines whose last cell is the scrollbar's thumb (reversed, or a partial block)."""
    cells = [view.render_line(y)._segments[-1] for y in range(view.scrollable_content_region.height)]
    return [y for y, cell in enumerate(cells) if (cell.style and cell.style.reverse) or cell.text.strip()]


async def test_the_scrollbar_is_drawn_in_the_gutter_and_follows_the_scroll() -> None:
    async with showing(long_thread(30)) as (pilot, view):
        at_top = thumb_rows(view)
        assert at_top and at_top[0] == 0 and len(at_top) < SIZE[1] // 2
        view.focus()
        await pilot.press("end")
        await pilot.pause()
        at_end = thumb_rows(view)
        assert at_end and at_end[-1] == view.scrollable_content_region.height - 1


async def test_a_short_document_shows_no_thumb_and_does_not_scroll() -> None:
    async with showing([Block(Text("one short post"), bar="red")]) as (pilot, view):
        assert thumb_rows(view) == []
        view.focus()
        await pilot.press("pagedown")
        assert view.scroll_offset.y == 0


async def test_a_click_below_the_thumb_pages_down() -> None:
    async with showing(long_thread(30)) as (pilot, view):
        await pilot.click(DocumentView, offset=(SIZE[0] - 1, SIZE[1] - 1))
        # The scrollbar's page is animated: read the offset where the animation ends, not mid-way.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert view.scroll_offset.y == view.scrollable_content_region.height
