"""Opening the selected post, or its author's profile, on its network in the browser (the link is copied)."""

from __future__ import annotations

from socialdesk.sanitize import clean
from socialdesk.screens.host import HostScreen


class LinkActions(HostScreen):
    """`O`: the post or profile in the browser (`self` is the desk screen)."""

    def action_reply_open_link(self) -> None:
        """Open the selected post, or its author's profile, on its network in the browser; copy the link.

        With both links known, a short menu picks (a third entry copies the post's link alone, for a
        desk run over ssh where no browser opens).
        """
        from socialdesk.capabilities import facts
        from socialdesk.screens.choice import ChoiceScreen
        from socialdesk.widgets.customer_pane import CustomerPane

        post = self.selected_post
        if post is None:
            self.notify("Select a post first", severity="warning")
            return
        network = facts(post.network).display_name
        view = self.query_one(CustomerPane).data
        identities = view.customer.identities if view is not None else []
        profile = next(
            (i.url for i in identities if (i.network, i.native_id) == (post.network, post.author_native_id)),
            "",
        )
        post_url = post.url.strip() if _web_address(post.url) else ""
        profile = profile.strip() if _web_address(profile) else ""
        if not post_url or not profile:  # one link known: no menu
            if not post_url and not profile:
                self.notify("This post has no web link (imported without one)", severity="warning")
            else:
                self._open_link(post_url or profile, browse=True)
            return
        handle = clean(post.author_handle, single_line=True)
        links = {
            f"the post on {network}": (post_url, True),
            f"@{handle}'s profile on {network}": (profile, True),
            "copy the post's link only": (post_url, False),
        }

        def picked(choice: str | None) -> None:
            if choice is not None:
                self._open_link(*links[choice])

        self.app.push_screen(
            ChoiceScreen("Open in the browser (the link is copied too)", list(links), None), picked
        )

    def _open_link(self, url: str, browse: bool) -> None:
        self.app.copy_to_clipboard(url)
        if browse:
            self.app.open_url(url)
            self.notify(f"Opened in the browser, link copied: {url}", markup=False)
        else:
            self.notify(f"Link copied: {url}", markup=False)


def _web_address(url: str) -> bool:
    """Whether a link from a post or profile is a plain web address (posts are hostile input: no
    `javascript:`, no `file:`, nothing with spaces reaches the browser)."""
    url = url.strip()
    return url.lower().startswith(("https://", "http://")) and not any(c.isspace() for c in url)
