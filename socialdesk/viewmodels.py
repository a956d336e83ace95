"""Plain data the screens hand to widgets (no I/O, no Textual): what a widget is asked to show."""

from __future__ import annotations

from typing import Any

import msgspec

from socialdesk.models import Customer, OurReply, PostRow, Thread


class Window(msgspec.Struct, frozen=True):
    """Rows `start .. start + len(rows)` of a filtered feed of `total` posts, newest first."""

    flt: Any = None  # the store PostFilter this window reads (opaque to widgets)
    total: int = 0
    start: int = 0
    rows: tuple[PostRow, ...] = ()
    order: str = "newest"  # "newest" (time) or "queue" (priority, SLA urgency, age)
    exact: bool = True  # False while `total` is a placeholder until the full count arrives

    @property
    def end(self) -> int:
        """One past the absolute index of the last loaded row."""
        return self.start + len(self.rows)

    def row(self, index: int) -> PostRow | None:
        """The row at an absolute index, if loaded."""
        if self.start <= index < self.end:
            return self.rows[index - self.start]
        return None

    def index_of(self, post_id: int) -> int | None:
        """The absolute index of a loaded post."""
        for offset, row in enumerate(self.rows):
            if row.id == post_id:
                return self.start + offset
        return None

    def covers(self, first: int, last: int) -> bool:
        """Whether rows first..last are loaded, or lie beyond the feed's ends."""
        first, last = max(0, first), min(self.total - 1, last)
        return first >= self.start and last < self.end


class Attachment(msgspec.Struct, frozen=True):
    """One media attachment of a post, as its network describes it (addresses are http(s) or "")."""

    kind: str  # image, gif, video, audio, file
    url: str = ""  # the full-size media
    preview_url: str = ""  # a smaller still (a thumbnail, a video's poster)
    alt: str = ""  # the alt text its author wrote ("": none)
    width: int = 0
    height: int = 0


class ThreadDetail(msgspec.Struct, frozen=True):
    """A thread with what we know about it locally: outbox replies and internal notes."""

    thread: Thread
    replies: dict[int, list[OurReply]] = msgspec.field(default_factory=dict)  # post id -> our outbox replies
    notes: tuple[tuple[str, str, float], ...] = ()  # (agent, text, at)
    # The replying account's server limits (max length, characters a link counts), None: unknown.
    limits: tuple[int, int] | None = None
    pattern: str = ""  # lone voice or pattern: the similar posts of the last hour and day, in one line
    similar_ids: tuple[int, ...] = ()  # those posts, to open as a queue
    # Personal data the customer posted publicly, in one line ("card number (card ending 1111)").
    personal_data: str = ""
    ticket: str = ""  # the conversation's ticket as written ("T-1042"), as it counts after merges
    merged: tuple[str, ...] = ()  # the tickets merged into it
    # The other conversations the ticket counts after merges: (their ticket, their latest posts).
    merged_posts: tuple[tuple[str, tuple[PostRow, ...]], ...] = ()
    media: tuple[Attachment, ...] = ()  # the focus post's attachments


class CustomerView(msgspec.Struct, frozen=True):
    """A customer's card and a page of their history across networks, newest first."""

    customer: Customer
    history: tuple[PostRow, ...] = ()
    more: bool = False
    fields: tuple[tuple[str, str], ...] = ()  # (label, value) of the fields agents keep on them
    crm_url: str = ""  # the customer in the team's CRM ("" without a template or the fields it needs)
