"""The customer's card (names, handles on every network, reach, sentiment) and their history."""

from __future__ import annotations

import time
from functools import partial

from rich.text import Text
from textual.reactive import reactive

from socialdesk.capabilities import NetworkLabels
from socialdesk.models import PostRow
from socialdesk.sanitize import clean
from socialdesk.viewmodels import CustomerView
from socialdesk.widgets import badges
from socialdesk.widgets.badges import age, sentiment_badge
from socialdesk.widgets.document import Block, DocumentView

PLACEHOLDER = Text("The author's history shows here.", style="dim")


def _sentiment_words(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value <= -0.05:
        return f"negative ({value:+.2f})"
    if value >= 0.05:
        return f"positive ({value:+.2f})"
    return f"neutral ({value:+.2f})"


class CustomerPane(DocumentView):
    """Who wrote the selected post, and everything they said to us before, across channels."""

    data: reactive[CustomerView | None] = reactive(None)
    # How each network is named, as its connector declares it (set by the screen before `data`).
    networks: NetworkLabels = NetworkLabels()

    def on_mount(self) -> None:
        self.show([Block(PLACEHOLDER)])

    def watch_data(self, view: CustomerView | None) -> None:
        if view is None:
            self.show([Block(PLACEHOLDER)])
            return
        now = badges.now()
        secondary = self.app.current_theme.secondary or "magenta"
        blocks = [Block(self._card(view, self.networks))]
        if view.fields or view.crm_url:
            blocks.append(Block(self._fields(view)))
        blocks.append(Block(Text(), rule=True))
        for post in view.history:
            # Built only if drawn: a page of history is 50 posts, a screen shows a handful.
            hint = f"{self.networks.name(post.network)} · 00m ago · {post.status}\n{post.text}"
            entry = partial(self._history_entry, post, now, secondary, self.networks)
            blocks.append(Block(entry, gap=1, hint=hint))
        if view.more:
            blocks.append(Block(Text("… earlier posts: press ] to load more", "dim")))
        self.show(blocks)

    @staticmethod
    def _history_entry(post: PostRow, now: float, secondary: str, networks: NetworkLabels) -> Text:
        line = Text()
        line.append("▶ ours  " if post.is_ours else "", secondary)
        network = networks.name(post.network)
        line.append(f"{network} · {age(post.created_at, now)} ago ", "dim")
        badge, _ = sentiment_badge(post)
        line.append(f"{badge} {post.status}\n", "dim")
        line.append(clean(post.text, single_line=True), secondary if post.is_ours else "")
        return line

    @staticmethod
    def _fields(view: CustomerView) -> Text:
        """What agents keep on the customer (i edits it), and their CRM link (L opens it)."""
        text = Text()
        for label, value in view.fields:
            text.append(f"{label}: ", "dim")
            text.append(clean(value, single_line=True) + "\n")
        if view.crm_url:
            text.append("CRM: ", "dim")
            text.append(clean(view.crm_url, single_line=True))
        text.rstrip()
        return text

    @staticmethod
    def _card(view: CustomerView, networks: NetworkLabels) -> Text:
        customer = view.customer
        card = Text()
        card.append(clean(customer.display_name, single_line=True) or "?", "bold")
        if customer.vip:
            card.append("  VIP", "bold reverse")
        for ident in customer.identities:
            card.append(
                f"\n  {networks.name(ident.network):<9}"
                f"@{clean(ident.handle, single_line=True)}  ({ident.followers:,} followers)"
            )
        card.append(
            f"\nfirst seen {time.strftime('%Y-%m-%d', time.localtime(customer.first_seen))} · "
            f"{customer.interactions} interactions · "
            f"recent sentiment {_sentiment_words(customer.recent_sentiment)}",
            "dim",
        )
        return card
