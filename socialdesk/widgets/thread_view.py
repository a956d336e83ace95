"""Shows a post's whole conversation: ancestors, the post, replies, our replies and internal notes."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.reactive import reactive

from socialdesk.capabilities import NetworkLabels
from socialdesk.models import OurReply, PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import ThreadDetail
from socialdesk.widgets import badges
from socialdesk.widgets.badges import age
from socialdesk.widgets.document import Block, DocumentView

PLACEHOLDER = Text("Select a post to read its conversation.", style="dim")


def tag_line(tags: tuple[str, ...] | list[str]) -> str:
    """Our own tags on a post, labelled as ours: never written as #hashtags, which customers write."""
    return "our tags: " + ", ".join(clean(tag, single_line=True) for tag in tags)


class ThreadView(DocumentView):
    """The conversation around the selected post, oldest first, the focus post highlighted.

    Each post is one block with a coloured bar; only the posts that scroll into view are wrapped
    and drawn, so a 500-post thread opens as fast as a short one.
    """

    data: reactive[ThreadDetail | None] = reactive(None)
    # How each network is named, as its connector declares it (set by the screen before `data`).
    networks: NetworkLabels = NetworkLabels()

    AGES_EVERY = 30.0  # seconds between redraws of the ages shown ("4m ago" becomes "5m ago")

    def on_mount(self) -> None:
        self.show([Block(PLACEHOLDER)])
        self.set_interval(self.AGES_EVERY, self.tick_ages, name="ages")

    def tick_ages(self) -> None:
        """Draw the visible posts again with their ages as of now (only the lines in view are built)."""
        self.redraw()

    def watch_data(self, data: ThreadDetail | None) -> None:
        if data is None:
            self.show([Block(PLACEHOLDER)])
            return
        theme = self.app.current_theme
        blocks: list[Block] = []
        for post in data.thread.posts:
            focus = post.id == data.thread.focus.id
            colour = (
                theme.primary if focus else (theme.secondary or theme.primary) if post.is_ours else "grey50"
            )
            # Built only if drawn; the hint (header, text, tags) sizes the posts not drawn yet.
            network = self.networks.name(post.network)
            hint = f"{post.author_name}  @{post.author_handle}  · {network} · 00m ago\n{post.text}"
            if post.tags:
                hint += "\n" + tag_line(post.tags)
            blocks.append(Block(partial(self._post, post, self.networks), bar=colour, gap=1, hint=hint))
            if focus and data.pattern:
                line = Text(f"≈ {data.pattern}" + ("  · C opens them" if len(data.similar_ids) > 1 else ""))
                blocks.append(Block(line, bar=theme.accent or colour, gap=1))
            if focus and data.media:
                blocks.append(Block(self._media(data), bar=theme.accent or colour, gap=1))
            if focus and data.ticket:
                blocks.append(Block(self._ticket(data), bar=theme.accent or colour, gap=1))
            if focus and data.personal_data:
                found = clean(data.personal_data, single_line=True)
                warning = Text(
                    f"⚠ Personal data posted publicly: {found}. Suggest moving to a DM (D);"
                    " a public reply must not repeat it.",
                    style="bold",
                )
                blocks.append(Block(warning, bar=theme.warning or "yellow", gap=1))
            for reply in data.replies.get(post.id, []):
                hint = f"our public reply [{reply.state}] · 00m ago\n{reply.text}"
                blocks.append(
                    Block(partial(self._outbox, reply), bar=theme.secondary or colour, gap=1, hint=hint)
                )
        for ticket, posts in data.merged_posts:
            header = Text(f"Merged conversation {ticket}", "bold")
            header.append(f" · its latest {len(posts)}" if len(posts) > 1 else "", "dim")
            blocks.append(Block(header, bar=theme.accent or "grey50", gap=1))
            for post in posts:
                blocks.append(Block(partial(self._post, post, self.networks), bar="grey50", gap=1))
        for agent, text, at in data.notes:
            hint = f"NOTE {agent} · 00m ago (internal, never sent)\n{text}"
            blocks.append(
                Block(partial(self._note, agent, text, at), bar=theme.warning or "yellow", gap=1, hint=hint)
            )
        self.show(blocks)

    @staticmethod
    def _note(agent: str, text: str, at: float) -> Text:
        note = Text()
        note.append("NOTE ", "bold")
        note.append(
            f"{clean(agent, single_line=True)} · {age(at, badges.now())} ago (internal, never sent)\n",
            "italic",
        )
        note.append(clean(text))
        return note

    @staticmethod
    def _post(post: PostRow, networks: NetworkLabels) -> Text:
        now = badges.now()  # when drawn: a redraw moves the ages on
        text = Text()
        if post.is_ours:
            text.append("▶ ours  ", "bold")
        text.append(clean(post.author_name, single_line=True) or "?", "bold")
        text.append(f"  @{clean(post.author_handle, single_line=True)}")
        text.append(f"  · {networks.name(post.network)} · {age(post.created_at, now)} ago", "dim")
        if post.edited_at is not None:
            text.append(f"  · edited {age(post.edited_at, now)} ago", "italic")
        if post.deleted_at is not None:
            text.append(f"  · DELETED on {networks.name(post.network)}", "bold")
        if post.content_warning:
            text.append(f"\nCW: {clean(post.content_warning, single_line=True)}", "italic")
        text.append("\n" + clean(post.text))
        if post.tags:
            text.append("\n" + tag_line(post.tags), "dim italic")
        return text

    @staticmethod
    def _media(data: ThreadDetail) -> Text:
        line = Text(f"📎 {len(data.media)} attachment(s)", "bold")
        for item in data.media:
            alt = clean(item.alt, single_line=True)
            line.append(f"\n  {item.kind}: ")
            line.append(alt if alt else "no alt text", "italic" if alt else "bold")
        line.append("\n  v lists them, previews images, opens them outside", "dim")
        return line

    @staticmethod
    def _ticket(data: ThreadDetail) -> Text:
        line = Text()
        line.append(f"Ticket {data.ticket}", "bold")
        if data.merged:
            line.append(" · merged in: " + ", ".join(data.merged))
        return line

    @staticmethod
    def _outbox(reply: OurReply) -> Text:
        out = Text()
        # A private reply is a DM plus a public note: both are ours, and the agent must tell them apart.
        out.append("▶ our DM (private)  " if reply.dm else "▶ our public reply  ", "bold")
        out.append(f"[{reply.state}]", "bold reverse" if reply.state != "sent" else "dim")
        out.append(f"  · {age(reply.at, badges.now())} ago", "dim")
        out.append("\n" + clean(reply.text))
        return out
