"""The customer's card (names, handles on every network, reach, sentiment) and their history."""

from __future__ import annotations

import time

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from socialdesk.sanitize import clean
from socialdesk.viewmodels import CustomerView
from socialdesk.widgets import badges
from socialdesk.widgets.badges import NETWORK_NAMES, age, sentiment_badge


def _sentiment_words(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value <= -0.05:
        return f"negative ({value:+.2f})"
    if value >= 0.05:
        return f"positive ({value:+.2f})"
    return f"neutral ({value:+.2f})"


class CustomerPane(VerticalScroll, can_focus=True):
    """Who wrote the selected post, and everything they said to us before, across channels."""

    DEFAULT_CSS = """
    CustomerPane {
        background: $surface;
        padding: 0 1;
    }
    """

    data: reactive[CustomerView | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Static(Text("The author's history shows here.", style="dim"), id="customer-body")

    def watch_data(self, view: CustomerView | None) -> None:
        # One renderable for the card and the whole page of history: one update per selection.
        body = self.query_one("#customer-body", Static)
        if view is None:
            body.update(Text("The author's history shows here.", style="dim"))
            return
        now = badges.now()
        secondary = self.app.current_theme.secondary or "magenta"
        parts: list[RenderableType] = [self._card(view), Rule(style="dim")]
        for post in view.history:
            line = Text()
            line.append("▶ ours  " if post.is_ours else "", secondary)
            line.append(
                f"{NETWORK_NAMES.get(post.network, post.network)} · {age(post.created_at, now)} ago ", "dim"
            )
            badge, _ = sentiment_badge(post)
            line.append(f"{badge} {post.status}\n", "dim")
            line.append(clean(post.text, single_line=True), secondary if post.is_ours else "")
            parts.append(Padding(line, (0, 0, 1, 0)))
        if view.more:
            parts.append(Text("… earlier posts: press ] to load more", "dim"))
        body.update(Group(*parts))

    @staticmethod
    def _card(view: CustomerView) -> Group:
        customer = view.customer
        title = Text()
        title.append(clean(customer.display_name, single_line=True) or "?", "bold")
        if customer.vip:
            title.append("  VIP", "bold reverse")
        lines = [title]
        for ident in customer.identities:
            lines.append(
                Text(
                    f"  {NETWORK_NAMES.get(ident.network, ident.network):<9}"
                    f"@{clean(ident.handle, single_line=True)}  ({ident.followers:,} followers)"
                )
            )
        lines.append(
            Text(
                f"first seen {time.strftime('%Y-%m-%d', time.localtime(customer.first_seen))} · "
                f"{customer.interactions} interactions · "
                f"recent sentiment {_sentiment_words(customer.recent_sentiment)}",
                "dim",
            )
        )
        return Group(*lines)
