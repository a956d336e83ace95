"""App-wide messages, named in the past tense: what a worker found or did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # annotations only: importing the messages must not load the sync engine
    from socialdesk.models import PostRow
    from socialdesk.services.delivery import OutboxEvent
    from socialdesk.services.sync import SyncReport
    from socialdesk.services.team_follow import Link
    from socialdesk.services.team_replica import Pulled
    from socialdesk.services.threads import ThreadRefresh
    from socialdesk.viewmodels import CustomerView, ThreadDetail, Window


class PostsSynced(Message):
    """A sync round stored new posts (merged in the queue: the screen recounts anyway)."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PostsSynced) and message.report.source == self.report.source


class SourceStateChanged(Message):
    """A source's sync state changed (ok, syncing, rate limited, needs auth, error)."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report


class PlaybookChecked(Message):
    """A sync round read the playbook: `refused` is why the file was refused ("" when it is in use)."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused


class AutomationsRan(Message):
    """An automation pass ran: how many conversations it changed or woke, and the agent's new notices."""

    def __init__(self, changed: int, notices: Sequence[str]) -> None:
        super().__init__()
        self.changed = changed
        self.notices = list(notices)


class WindowLoaded(Message):
    """A feed window was (re)loaded; `shift` rows arrived above the agent's cursor."""

    def __init__(self, window: Window, shift: int = 0, select: int | None = None) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.select = select


class ThreadLoaded(Message):
    """The thread of the selected post was read."""

    def __init__(self, view: ThreadDetail | None, draft: str, post_id: int, read: int) -> None:
        super().__init__()
        self.view = view
        self.draft = draft
        self.post_id = post_id
        self.read = read  # which read of the desk's this is (a later one supersedes it)


class CustomerLoaded(Message):
    """The selected post's customer and history were read."""

    def __init__(
        self, view: CustomerView | None, post_id: int | None = None, read: int | None = None
    ) -> None:
        super().__init__()
        self.view = view
        self.post_id = post_id  # the post whose author this is (None: a page of history being extended)
        self.read = read  # which read of the desk's this is (None: a history page)


class OutboxChanged(Message):
    """Replies changed state in the outbox (sent, failed, waiting ...)."""

    def __init__(self, events: Sequence[OutboxEvent]) -> None:
        super().__init__()
        self.events = events


class ThreadOpened(Message):
    """The agent opened a post's thread: the app asks the network for it as it is now."""

    def __init__(self, post: PostRow) -> None:
        super().__init__()
        self.post = post


class ThreadRefreshed(Message):
    """A thread was read again from its network and stored (edits, follow-ups, deletions)."""

    def __init__(self, refresh: ThreadRefresh) -> None:
        super().__init__()
        self.refresh = refresh


class DraftSaved(Message):
    """A draft reply was saved (`kept`: some text) or cleared; the feed marks rows holding one."""

    def __init__(self, post_id: int, kept: bool) -> None:
        super().__init__()
        self.post_id = post_id
        self.kept = kept


class TeamPulled(Message):
    """A team desk read the change feed into its cache: new posts, conversations that changed."""

    def __init__(self, pulled: Pulled) -> None:
        super().__init__()
        self.pulled = pulled


class TeamLinkChanged(Message):
    """A team desk's link to the team database came up or went down (and what the journal replay did)."""

    def __init__(self, link: Link) -> None:
        super().__init__()
        self.link = link
