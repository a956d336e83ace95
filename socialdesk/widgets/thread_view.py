"""Shows a post's whole conversation: ancestors, the post, replies, our replies and internal notes."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.models import PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import ThreadView as ThreadData
from socialdesk.widgets import badges
from socialdesk.widgets.badges import NETWORK_NAMES, age


class ThreadView(VerticalScroll, can_focus=True):
    """The conversation around the selected post, oldest first, the focus post highlighted."""

    DEFAULT_CSS = """
    ThreadView {
        background: $surface;
        padding: 0 1;
        & > .thread-post { margin: 0 0 1 0; padding: 0 1; border-left: thick $panel; }
        & > .thread-post.-focus { border-left: thick $primary; background: $primary 10%; }
        & > .thread-post.-ours { border-left: thick $secondary; }
        & > .thread-note {
            border-left: thick $warning; background: $warning 10%; padding: 0 1; margin: 0 0 1 0;
        }
        & > .thread-empty { color: $foreground 60%; padding: 1; }
    }
    """

    data: reactive[ThreadData | None] = reactive(None, recompose=True)

    def compose(self):  # type: ignore[no-untyped-def]
        data = self.data
        if data is None:
            yield Static(Text("Select a post to read its conversation."), classes="thread-empty")
            return
        now = badges.now()
        for post in data.thread.posts:
            classes = "thread-post"
            if post.id == data.thread.focus.id:
                classes += " -focus"
            if post.is_ours:
                classes += " -ours"
            yield Static(self._post(post, now), classes=classes)
            for text, state, at in data.replies.get(post.id, []):
                yield Static(self._outbox(text, state, at, now), classes="thread-post -ours")
        for agent, text, at in data.notes:
            note = Text()
            note.append("NOTE ", "bold")
            note.append(
                f"{clean(agent, single_line=True)} · {age(at, now)} ago (internal, never sent)\n", "italic"
            )
            note.append(clean(text))
            yield Static(note, classes="thread-note")

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
        head.append(f"[{state}]", "bold reverse" if state not in ("sent",) else "dim")
        head.append(f"  · {age(at, now)} ago", "dim")
        return Group(head, Text(clean(text)))
