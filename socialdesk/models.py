"""Domain records (msgspec structs) shared by connectors, the store, services and screens: no I/O here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

import msgspec


class Status(StrEnum):
    """Where a conversation stands in the queue."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    CLOSED = "closed"  # resolved, then quiet for the days an automation waits: final


class ReplyState(StrEnum):
    """Where one of our replies stands in the outbox."""

    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    WAITING = "waiting"  # rate limited until next_attempt_at
    UNKNOWN = "unknown"  # may have reached the server: reconcile, never resend blindly
    FAILED = "failed"
    NEEDS_AUTH = "needs_auth"
    DISCARDED = "discarded"


class Author(msgspec.Struct):
    """A person or account as one network knows them."""

    native_id: str
    handle: str
    display_name: str = ""
    followers: int = 0
    url: str = ""


class Post(msgspec.Struct):
    """One post as a connector delivers it (text already converted from HTML, not yet sanitised).

    Identity is (network, native_id); re-delivering the same post updates it in place.
    """

    network: str
    native_id: str
    author: Author
    text: str
    created_at: float  # unix seconds, UTC
    account: str = ""  # which of our accounts saw it ("" for monitoring without an account)
    url: str = ""
    in_reply_to: str | None = None  # native id of the parent post
    conversation_id: str | None = None  # native id of the thread root
    kind: str = "mention"  # mention | reply | search | dm | feed | own
    lang: str = ""
    is_ours: bool = False  # written by one of our accounts
    content_warning: str = ""
    raw: dict[str, Any] = msgspec.field(default_factory=dict)
    edited_at: float | None = None  # unix seconds of the latest edit the network reports; None: never
    # The post's address across servers where `native_id` is one server's own (an ActivityPub id):
    # two accounts on different servers that see one status store it once (store/aliases.py).
    uri: str = ""

    def as_json(self) -> str:
        """The post as JSON text, whatever it holds (for the quarantine; never raises)."""
        import json

        try:
            return json.dumps(msgspec.to_builtins(self, enc_hook=str), ensure_ascii=False, default=str)
        except (ValueError, TypeError, RecursionError, OverflowError) as exc:  # nested too deep, a cycle ...
            shown = {
                name: getattr(self, name) for name in self.__struct_fields__ if name not in ("author", "raw")
            }
            shown["author"] = msgspec.structs.asdict(self.author)
            shown["raw"] = f"(not stored: {type(exc).__name__})"
            try:
                return json.dumps(shown, ensure_ascii=False, default=str)
            except (ValueError, TypeError, RecursionError):  # a value no JSON can hold (a 5000-digit int)
                return json.dumps({k: str(v)[:10_000] for k, v in shown.items() if isinstance(v, str)})


class PostRow(msgspec.Struct):
    """A stored post as the screens read it (one row of the feed, thread or history)."""

    id: int
    network: str
    native_id: str
    account: str
    author_native_id: str
    author_handle: str
    author_name: str
    customer_id: int | None
    text: str
    created_at: float
    url: str
    in_reply_to: str | None
    conversation_id: str | None
    kind: str
    lang: str
    is_ours: bool
    content_warning: str
    status: str = Status.NEW
    priority: int = 1
    sentiment: float | None = None
    sentiment_label: str = ""
    intent: str = ""
    actionable: bool = True
    assigned_to: str = ""
    due_at: float | None = None
    snoozed_until: float | None = None
    tags: tuple[str, ...] = ()
    edited_at: float | None = None  # the author edited it (the text shown is the latest version)
    deleted_at: float | None = None  # when we learnt the network no longer has it
    # The network will likely refuse our reply (X: a search hit whose author did not mention or quote
    # us, for a self-serve app); the connector sets `reply_limited` in the post's raw payload.
    reply_limited: bool = False
    has_draft: bool = False  # the agent has started a reply that is not sent (the drafts table)

    def sla_left(self, now: float) -> float | None:
        """Seconds until the first-response target (negative: overdue); None when no clock runs."""
        if self.due_at is None or self.is_ours or not self.actionable:
            return None
        if self.status in (Status.RESOLVED, Status.SNOOZED, Status.CLOSED):
            return None
        return self.due_at - now


class OurReply(NamedTuple):
    """One of our outbox replies to a post, as its thread shows it."""

    text: str
    state: str
    at: float  # when its state last changed
    dm: bool = False  # a direct message (only the customer sees it), else a public reply


class Identity(msgspec.Struct):
    """One of a customer's accounts on one network."""

    network: str
    native_id: str
    handle: str
    display_name: str
    followers: int
    first_seen: float
    url: str = ""  # the profile's web address, as the network gave it ("" when it gave none)


class Customer(msgspec.Struct):
    """A person we serve, possibly known on several networks."""

    id: int
    display_name: str
    first_seen: float
    identities: list[Identity] = msgspec.field(default_factory=list)
    interactions: int = 0
    recent_sentiment: float | None = None
    vip: bool = False

    @property
    def followers(self) -> int:
        """Largest audience across the customer's identities."""
        return max((i.followers for i in self.identities), default=0)


class Thread(msgspec.Struct):
    """A post's conversation: ancestors oldest first, the post itself, then replies oldest first."""

    focus: PostRow
    ancestors: list[PostRow] = msgspec.field(default_factory=list)
    replies: list[PostRow] = msgspec.field(default_factory=list)

    @property
    def posts(self) -> list[PostRow]:
        """Every post of the thread in reading order."""
        return [*self.ancestors, self.focus, *self.replies]


class Agent(msgspec.Struct):
    """A person working the desk (identity from config)."""

    name: str
    handle: str = ""
    roles: tuple[str, ...] = ("agent",)
