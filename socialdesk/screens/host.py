"""What the desk screen gives its action mixins, typed, so the reply and triage keys are type-checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from socialdesk.context import Context
    from socialdesk.models import PostRow
    from socialdesk.services.outbox import Outbox
    from socialdesk.store import PostFilter
    from socialdesk.viewmodels import ThreadDetail


class DeskHost(Protocol):
    """The desk's state and operations that `ReplyActions` and `TriageActions` use."""

    ctx: Context
    outbox: Outbox  # the desk's one outbox, which the app built and handed down
    selected_post: PostRow | None
    marked_ids: set[int]

    def composer_text(self) -> str:
        """The composer's text as the agent typed it."""
        ...

    def composer_rules(self) -> tuple[int | None, int | None]:
        """The replying account's server limit and link weight (None: the network's defaults)."""
        ...

    def set_composer_text(self, text: str) -> None:
        """Replace the composer's text (and show it at once)."""
        ...

    def set_feed_filter(
        self, flt: PostFilter, title: str, queue_order: bool = False, *, read: bool = True
    ) -> None:
        """Show the feed through `flt`, titled `title` (`read=False`: the caller reads the rows itself)."""
        ...

    def refresh_feed(self) -> None:
        """Read the feed's visible window again."""
        ...

    def refresh_thread(self) -> None:
        """Read the selected post's thread and customer again."""
        ...

    def select_post(self, post_id: int) -> None:
        """Move the feed's cursor to the post, and show its thread."""
        ...

    def open_draft(self, post_id: int) -> None:
        """Show the post with its draft in the composer, and focus the composer."""
        ...

    def leave_composer(self) -> None:
        """After a reply is queued: move the focus where the undo key works."""
        ...

    def focus_composer(self) -> None:
        """Put the focus in the composer (back from the external editor)."""
        ...

    def shown_thread(self) -> ThreadDetail | None:
        """The thread the middle pane shows (None: nothing selected)."""
        ...

    def shown_crm_url(self) -> str:
        """The CRM link of the customer the right pane shows ("" when none)."""
        ...


if TYPE_CHECKING:

    class HostScreen(Screen[None], DeskHost):
        """The type of a mixin's `self`: a Textual screen that is also the desk host."""

else:
    HostScreen = object  # at run time the mixins are plain classes; the desk screen supplies both
