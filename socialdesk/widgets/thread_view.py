"""Shows a post's whole conversation: ancestors, the post, replies, our replies and internal notes."""

from __future__ import annotations

from rich.box import Box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.models import PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import ThreadView as ThreadData
from socialdesk.widgets import badges
from socialdesk.widgets.badges import NETWORK_NAMES, age

# A panel border that is only a bar down the left side.
LEFT_BAR = Box("▗   \n▐   \n▐   \n▐   \n▐   \n▐   \n▐   \n▝   \n")


def bar(body: RenderableType, colour: str) -> Panel:
    """A block with a coloured bar down its left side (one renderable: no widget per post)."""
    return Panel(body, box=LEFT_BAR, border_style=colour, padding=(0, 1), expand=True)


class ThreadView(VerticalScroll, can_focus=True):
    """The conversation around the selected post, oldest first, the focus post highlighted.

    The whole thread is one renderable in one Static, so moving through the feed costs one update,
    not a recompose and re-layout of a widget per post.
    """

    DEFAULT_CSS = """
    ThreadView {
        background: $surface;
        padding: 0 1;
        & > #thread-body { width: 1fr; }
    }
    """

    data: reactive[ThreadData | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Static(Text("Select a post to read its conversation.", style="dim"), id="thread-body")

    def watch_data(self, data: ThreadData | None) -> None:
        body = self.query_one("#thread-body", Static)
        if data is None:
            body.update(Text("Select a post to read its conversation.", style="dim"))
            return
        theme = self.app.current_theme
        now = badges.now()
        blocks: list[RenderableType] = []
        for post in data.thread.posts:
            focus = post.id == data.thread.focus.id
            colour = (
                theme.primary if focus else (theme.secondary or theme.primary) if post.is_ours else "grey50"
            )
            blocks.append(Padding(bar(self._post(post, now), colour), (0, 0, 1, 0)))
            for text, state, at in data.replies.get(post.id, []):
                blocks.append(
                    Padding(bar(self._outbox(text, state, at, now), theme.secondary or colour), (0, 0, 1, 0))
                )
        for agent, text, at in data.notes:
            note = Text()
            note.append("NOTE ", "bold")
            note.append(
                f"{clean(agent, single_line=True)} · {age(at, now)} ago (internal, never sent)\n", "italic"
            )
            note.append(clean(text))
            blocks.append(Padding(bar(note, theme.warning or "yellow"), (0, 0, 1, 0)))
        body.update(Group(*blocks))
        self.scroll_home(animate=False)

    @staticmethod
    def _post(post: PostRow, now: float) -> Group:
        head = Text()
        if post.is_ours:
            head.append("▶ ours  ", "bold")
        head.append(clean(post.author_name, single_line=True) or "?", "bold")
        head.append(f"  @{clean(post.author_handle, single_line=True)}")
        head.append(
            f"  · {NETWORK_NAMES.get(post.network, post.network)} · {age(post.created_at, now)} ago", "dim"
        )
        parts: list[Text] = [head]
        if post.content_warning:
            parts.append(Text(f"CW: {clean(post.content_warning, single_line=True)}", "italic"))
        parts.append(Text(clean(post.text)))
        if post.tags:
            parts.append(Text(" ".join(f"#{clean(t, single_line=True)}" for t in post.tags), "dim"))
        return Group(*parts)

    @staticmethod
    def _outbox(text: str, state: str, at: float, now: float) -> Group:
        head = Text()
        head.append("▶ our reply  ", "bold")
        head.append(f"[{state}]", "bold reverse" if state != "sent" else "dim")
        head.append(f"  · {age(at, now)} ago", "dim")
        return Group(head, Text(clean(text)))
