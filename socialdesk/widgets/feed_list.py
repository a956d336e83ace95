"""The inbound feed: a virtual list that draws only the visible rows of a window it is given.

Built on Textual's Line API (`render_line`), so its cost does not depend on how many posts the
feed holds. It never loads anything: the screen sets `window` and reacts to `WindowNeeded`.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from socialdesk.capabilities import NetworkLabels
from socialdesk.models import PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import Window
from socialdesk.widgets import badges
from socialdesk.widgets.badges import (
    age,
    priority_badge,
    sentiment_badge,
    sla_badge,
    status_badge,
)

if TYPE_CHECKING:
    from socialdesk.presence import TeamMark

# Drawn rows kept for reuse: a few screens' worth. Every Strip carries several caches of its own,
# so thousands of them cost megabytes and lengthen every garbage collection.
STRIP_CACHE_ROWS = 400


class FeedList(ScrollView, can_focus=True, inherit_bindings=False):
    """The queue, one post per line, newest first.

    It keeps no key bindings of its own (not even ScrollView's arrows): the screen owns them, with ids
    that config can remap.
    """

    COMPONENT_CLASSES = {
        "feed-list--cursor",
        "feed-list--marked",
        "feed-list--author",
        "feed-list--dim",
        "feed-list--new",
        "feed-list--negative",
        "feed-list--positive",
        "feed-list--urgent",
        "feed-list--high",
        "feed-list--ours",
        "feed-list--overdue",
    }

    DEFAULT_CSS = """
    FeedList {
        background: $surface;
        /* No scrollbar: on a feed of a million posts its thumb is one cell that never moves, and
           redrawing it on every scroll cost about half of the frame. The status bar shows the position. */
        overflow: hidden hidden;
        & > .feed-list--cursor {
            background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
        }
        &:blur > .feed-list--cursor { background: $panel; color: $foreground; text-style: none; }
        & > .feed-list--marked { background: $accent 25%; }
        & > .feed-list--author { color: $primary; }
        & > .feed-list--dim { color: $foreground 60%; }
        & > .feed-list--new { color: $accent; text-style: bold; }
        & > .feed-list--negative { color: $error; }
        & > .feed-list--positive { color: $success; }
        & > .feed-list--urgent { color: $error; text-style: bold; }
        & > .feed-list--high { color: $warning; }
        & > .feed-list--ours { color: $secondary; }
        & > .feed-list--overdue { color: $error; text-style: bold; }
    }
    """

    window: reactive[Window] = reactive(Window, always_update=True, repaint=False)
    cursor: reactive[int] = reactive(0, repaint=False)
    marked: reactive[frozenset[int]] = reactive(frozenset, repaint=False)
    empty_text: reactive[str] = reactive("Nothing here yet.")  # shown when the view holds no post
    # Each network's glyph, as the connectors declare them (the screen sets it; a plug-in brings its own).
    networks: reactive[NetworkLabels] = reactive(NetworkLabels, repaint=False)
    # A team desk's marks by conversation (network, conversation id): who holds, views or types on it.
    team_marks: reactive[dict[tuple[str, str], TeamMark]] = reactive(dict, repaint=False)

    class Highlighted(Message):
        """The cursor moved onto a post (or off every post: `post` is None)."""

        def __init__(self, post: PostRow | None) -> None:
            super().__init__()
            self.post = post

    class Selected(Message):
        """Enter on a post: open its thread."""

        def __init__(self, post: PostRow) -> None:
            super().__init__()
            self.post = post

    class WindowNeeded(Message):
        """Rows first..last (the viewport and a screen either side) are not all loaded."""

        def __init__(self, first: int, last: int) -> None:
            super().__init__()
            self.first = first
            self.last = last

        def can_replace(self, message: Message) -> bool:
            # Only the latest viewport matters while keys repeat faster than pages load.
            return isinstance(message, FeedList.WindowNeeded)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._last_highlighted: int | None = None
        # Drawn rows by everything that shows in them, with the row object they were drawn from: a
        # reloaded row is a new object (its status or tags may differ), a window that only grew or
        # slid keeps its row objects, so their drawings stay valid across windows.
        self._strips: dict[tuple[object, ...], tuple[PostRow, Strip]] = {}
        self._styles: dict[str, Style] = {}  # component styles by name, until the theme changes
        self._base: Style | None = None  # this widget's style while a frame's lines are drawn
        self._width = 0

    # -- attributes down ------------------------------------------------------------------------

    def watch_window(self, window: Window) -> None:
        self.virtual_size = Size(0, window.total)  # rows are cut to the width: no sideways scroll
        if self.cursor >= window.total:
            self.cursor = max(0, window.total - 1)
        self._announce()
        self.refresh()

    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        self._scroll_to_cursor()
        if self.scroll_offset.y == top:
            # Only the two rows whose highlight changed need drawing again (scrolling redraws all).
            self.refresh_line(old)
            self.refresh_line(new)
        self._announce()

    def watch_marked(self) -> None:
        self.refresh()  # the marks are part of each drawing's key

    def watch_team_marks(self) -> None:
        self.refresh()  # each row's mark is part of its drawing's key

    def _team_mark(self, row: PostRow) -> str:
        if not self.team_marks:
            return ""
        mark = self.team_marks.get((row.network, row.conversation_id or row.native_id))
        return mark.short() if mark is not None else ""

    def watch_networks(self) -> None:
        self._strips.clear()  # a connector loaded since: its rows get its glyph
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # a theme change recolours every row
        self._styles.clear()

    def show(self, window: Window, shift: int = 0) -> None:
        """Show a new window in which the rows moved down by `shift` (posts arrived above them).

        The cursor moves with its post before the window is set, so the highlight announced for the
        new window is the same post, never whichever post now sits at the old index.
        """
        if shift:
            self.set_reactive(FeedList.cursor, max(0, self.cursor + shift))
        self.window = window
        if shift:
            self.scroll_to(y=max(0, self.scroll_offset.y + shift), animate=False, immediate=True)

    @property
    def current(self) -> PostRow | None:
        """The post under the cursor, if loaded."""
        return self.window.row(self.cursor)

    # -- movement -------------------------------------------------------------------------------

    def move(self, delta: int) -> None:
        """Move the cursor by `delta` rows, clamped to the feed."""
        if self.window.total:
            self.cursor = max(0, min(self.window.total - 1, self.cursor + delta))

    def page(self, direction: int) -> None:
        """Move one screenful."""
        self.move(direction * max(1, self.size.height - 1))

    def top(self) -> None:
        """Go to the newest post."""
        self.cursor = 0

    def bottom(self) -> None:
        """Go to the oldest post."""
        self.cursor = max(0, self.window.total - 1)

    def select(self) -> None:
        """Open the post under the cursor."""
        post = self.current
        if post is not None:
            self.post_message(self.Selected(post))

    def _scroll_to_cursor(self) -> None:
        height = self.size.height or 1
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        post = self.current
        key = post.id if post is not None else None
        if key != self._last_highlighted:
            self._last_highlighted = key
            self.post_message(self.Highlighted(post))

    def on_resize(self, event: events.Resize) -> None:
        width = self.size.width  # asked for by every line of every frame: kept, not computed
        if width != self._width:
            # The first frame at the new size was drawn before this event, with the old width.
            self._width = width
            self._strips.clear()  # drawn at the old width: never asked for again
            self.refresh()
        self.virtual_size = Size(0, self.window.total)
        self._scroll_to_cursor()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._request_rows()

    def _request_rows(self) -> None:
        # Ask for a screen beyond the viewport on each side, so pages load before they show.
        height = self.size.height or 1
        first = int(self.scroll_offset.y) - height
        last = first + 3 * height
        if not self.window.covers(first, last):
            self.post_message(self.WindowNeeded(max(0, first), last))

    @property
    def allow_vertical_scroll(self) -> bool:
        # Textual scrolls only widgets that show a scrollbar; this one scrolls without (see the CSS).
        return self.is_scrollable

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.move(3)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.move(-3)

    async def _on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < self.window.total:
            if self.cursor == index and event.chain > 1:
                self.select()
            self.cursor = index

    # -- drawing --------------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style walks every ancestor's styles: taken once for the frame's lines, not
        # once for each row drawn.
        self._base = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._base = None

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self._width or self.size.width
        if index >= self.window.total:
            if self.window.total == 0 and self.window.exact:
                lines = textwrap.wrap(clean(self.empty_text, single_line=True), max(8, width - 4))
                if 1 <= y <= len(lines):
                    text = set_cell_size("  " + lines[y - 1], width)
                    return Strip([Segment(text, self._widget_style() + self._style("dim"))], width)
            return Strip.blank(width, self._widget_style())
        row = self.window.row(index)
        if row is None:
            self._request_rows()
            return Strip([Segment(" …".ljust(width), self.get_component_rich_style("feed-list--dim"))], width)
        cursor = index == self.cursor
        now = badges.now()
        key = (
            row.id,
            width,
            cursor,
            cursor and self.has_focus,
            row.id in self.marked,
            age(row.created_at, now),
            sla_badge(row, now)[0],
            self._team_mark(row),
        )
        cached = self._strips.get(key)
        if cached is not None and cached[0] is row:
            return cached[1]
        base = self._widget_style()
        if cursor:
            base = base + self.get_component_rich_style("feed-list--cursor")
        elif row.id in self.marked:
            base = base + self.get_component_rich_style("feed-list--marked")
        strip = Strip(self._row_segments(row, width, base), width).crop(0, width).simplify()
        self._strips.pop(key, None)
        if len(self._strips) >= STRIP_CACHE_ROWS:
            # The oldest drawn row goes, not the whole cache: clearing it made the next frame redraw
            # every visible row at once, a slow frame every few hundred rows drawn.
            del self._strips[next(iter(self._strips))]
        self._strips[key] = (row, strip)
        return strip

    def _widget_style(self) -> Style:
        return self.rich_style if self._base is None else self._base

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"feed-list--{name}", partial=True)
        return style

    def _row_segments(self, row: PostRow, width: int, base: Style) -> list[Segment]:
        """One row as segments, column by column (cells counted, so wide characters line up).

        Where the row is too narrow for the post's text, columns are dropped in `DROP_ORDER` until
        the text has `text_room(width)` cells: a row never shows badges without the words.
        """
        author_width = max(8, min(22, width // 5))
        now = badges.now()

        def styled(name: str) -> Style:
            return base + self._style(name) if name else base

        status, status_style = status_badge(row)
        sentiment, sentiment_style = sentiment_badge(row)
        prio, prio_style = priority_badge(row)
        sla, sla_style = sla_badge(row, now)
        columns = [
            # ✓ marked for a bulk action; ✎ a reply started here and not sent (the mark's column: no width)
            ("mark", Segment("✓ " if row.id in self.marked else "✎ " if row.has_draft else "  ", base)),
            ("network", Segment(self.networks.glyph(row.network) + " ", styled("dim"))),
            (
                "author",
                Segment(
                    set_cell_size("@" + clean(row.author_handle, single_line=True), author_width) + " ",
                    styled("ours" if row.is_ours else "author"),
                ),
            ),
            ("age", Segment(age(row.created_at, now).rjust(4) + " ", styled("dim"))),
            ("status", Segment(status.ljust(4), styled(status_style))),
            ("sentiment", Segment(sentiment + " ", styled(sentiment_style))),
            ("priority", Segment(prio.ljust(4), styled(prio_style))),
            ("sla", Segment(sla.rjust(5) + " ", styled(sla_style))),
        ]
        if team := self._team_mark(row):  # a colleague holds, views or types on it
            columns.append(("mark-team", Segment(clean(team, single_line=True)[:10] + " ", styled("high"))))
        if row.deleted_at is not None:
            columns.append(("mark-deleted", Segment("deleted ", styled("dim"))))
        elif row.edited_at is not None:
            columns.append(("mark-edited", Segment("edited ", styled("dim"))))
        if row.reply_limited:  # the network would refuse our answer
            columns.append(("mark-no-reply", Segment("no-reply ", styled("dim"))))
        room = width - sum(cell_len(segment.text) for _, segment in columns)
        wanted = text_room(width)
        for name in DROP_ORDER:
            if room >= wanted:
                break
            index = next(i for i, (column, _) in enumerate(columns) if column == name)
            room += cell_len(columns.pop(index)[1].text)
        segments = [segment for _, segment in columns]
        if row.content_warning:
            body = f"CW: {clean(row.content_warning, single_line=True)}"
        else:
            body = clean(row.text, single_line=True)
        if room > 0:
            if cell_len(body) > room:
                body = set_cell_size(body, room - 1) + "…"
            segments.append(Segment(set_cell_size(body, room), base))
        return segments


# The feed's columns dropped first when a row is too narrow for the text (the mark and the author stay).
DROP_ORDER = ("status", "age", "sentiment", "sla", "priority", "network")


def text_room(width: int) -> int:
    """Cells the post's text gets at least, in a row `width` cells wide."""
    return max(12, width // 3)
