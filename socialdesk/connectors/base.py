"""The connector interface every network plugin implements, its capabilities and its errors.

A connector is a plain synchronous class (the sync engine runs it in a thread worker). It never
imports Textual and never touches the store: it turns a network's API into `Post` objects and
reports failures through the exceptions below, which the sync engine and outbox map to states.

Writing a connector:

    class MyNetwork(Connector):
        name = "mynetwork"
        display_name = "My Network"
        glyph = "M"
        capabilities = Capabilities(max_length=500, counting="chars", can_reply=True)

        def fetch(self, cursor):  # -> FetchResult
            ...

and register it in your package's pyproject.toml:

    [project.entry-points."socialdesk.connectors"]
    mynetwork = "my_package.connector:MyNetwork"
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import msgspec

# Declared below the connectors (compose and the desk read them without importing any connector).
from socialdesk.capabilities import COUNTING_RULES as COUNTING_RULES
from socialdesk.capabilities import MONITORING_KINDS as MONITORING_KINDS
from socialdesk.capabilities import Capabilities as Capabilities
from socialdesk.capabilities import NetworkFacts
from socialdesk.models import Author, Post

if TYPE_CHECKING:
    import httpx

BACKFILL_DAYS = 7  # how far back a first sync reads when an account sets no `backfill_days`
# The account option every paging connector accepts: merge it into the class's `options`.
BACKFILL_OPTION: dict[str, tuple[type, str]] = {
    "backfill_days": (int, f"How many days back a first sync reads (default {BACKFILL_DAYS})"),
}


class ServerLimits(msgspec.Struct, frozen=True):
    """A server's own posting rules as it announced them (Mastodon: the instance configuration).

    Attributes:
        max_length: the longest post it accepts, in the connector's counting rule.
        url_weight: how many characters a link counts (Mastodon's characters_reserved_per_url);
            0 when the counting rule's own figure applies.
    """

    max_length: int
    url_weight: int = 0


class Quarantined(msgspec.Struct):
    """One item of a batch that could not be understood: kept raw, counted, shown by `doctor`."""

    error: str
    raw: str


class FetchResult(msgspec.Struct):
    """One fetch: new posts, the cursor to persist for the next fetch, and quarantined items.

    Attributes:
        posts: new or changed posts (an edited post comes again with `Post.edited_at` set).
        cursor: where the next fetch starts; persisted with this page's posts in one transaction.
        quarantined: items that could not be understood.
        more: another page is ready right away (the engine calls fetch again with `cursor`).
        reached: set by a page of a first sync's backfill: the time (unix seconds) back to which
            nothing is missing. The horizon (`Connector.backfill_horizon`) when the backfill got
            there or the network's history ended first; the oldest post's `created_at` when it
            stopped short (a network's cap, such as X's 800 mentions). None: this page did no
            backfill. The engine keeps the oldest value per source and shows it.
        deleted: native ids of posts the network says are gone (deleted, 404); the store marks them
            deleted and takes them out of the reply queues. Only ids of this connector's network.
        errors: streams of the account that failed this time, or could not read back to their
            cursor, one line each ("search 'acme': 400 ..."), while the posts of the others are
            here: the source shows an error, the rest is kept.
    """

    posts: list[Post]
    cursor: str | None
    quarantined: list[Quarantined] = msgspec.field(default_factory=list)
    more: bool = False
    reached: float | None = None
    deleted: list[str] = msgspec.field(default_factory=list)
    errors: list[str] = msgspec.field(default_factory=list)


class OutgoingReply(msgspec.Struct):
    """A reply as the outbox hands it to a connector.

    `idempotency_key` is persisted with the reply before any attempt and is the same on every
    retry, so the network (or our reconciliation) can recognise a duplicate.
    """

    idempotency_key: str
    text: str
    in_reply_to: str | None  # native id of the post answered; None for a new DM thread
    to_handle: str = ""  # recipient for DMs
    to_native_id: str = ""
    dm: bool = False
    conversation_id: str | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)  # connector-specific refs (Bluesky cid/root)
    # When the outbox first handed this reply to the network (None: never): find_sent looks back to
    # here, so a lookup can prove absence without reading the account's whole history.
    first_attempt_at: float | None = None


MODERATION_ACTIONS = ("block", "mute", "report")


class ModerationTarget(msgspec.Struct, frozen=True):
    """Whom a block, mute or spam report is about, and the post that prompted it."""

    author_id: str  # the network's id of the account (Mastodon account id, Bluesky DID, X user id)
    handle: str
    post_id: str = ""  # native id of the post reported ("" for the account alone)
    post_raw: Mapping[str, Any] = msgspec.field(default_factory=dict)  # its stored payload (Bluesky: the cid)
    comment: str = ""  # the agent's words for a report


class SendResult(msgspec.Struct):
    """What the network said about a sent reply.

    `refs` is what a later part of the thread needs to answer this one, straight from the
    network's answer (Bluesky: the record's cid and its thread root), never read back from an index.
    """

    native_id: str
    url: str = ""
    refs: dict[str, Any] = msgspec.field(default_factory=dict)


class ConnectorError(Exception):
    """Base of every connector failure; the message must never contain a secret."""


class AuthError(ConnectorError):
    """401/403 or missing credentials: the account needs auth."""


class RateLimited(ConnectorError):
    """The network asked us to wait until `until` (unix seconds)."""

    def __init__(self, until: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.until = until


class TransientError(ConnectorError):
    """Timeout, dropped connection or 5xx before anything could have been created: retry later."""


class SendUncertain(ConnectorError):
    """The request may have reached the server (read timeout, 5xx after sending): reconcile."""


class CannotTell(ConnectorError):
    """`find_sent` cannot prove whether a reply went out: the agent has to look (never resend blindly)."""


class PermanentError(ConnectorError):
    """The network refused the request for good (4xx other than auth and rate limits)."""


class ConfigError(ConnectorError):
    """The account's settings are incomplete or invalid."""


class PostGone(PermanentError):
    """The post asked for no longer exists on the network (deleted: 404/410, or a deleted record)."""

    def __init__(self, native_id: str, message: str = "") -> None:
        super().__init__(message or f"post {native_id} is gone")
        self.native_id = native_id


# A login session as a connector stores it (JSON): what it reads back is checked before use.
SessionData = dict[str, object]


class SessionStore(Protocol):
    """Where a connector keeps its login session between runs (its tokens are secrets)."""

    def load(self) -> SessionData | None: ...

    def save(self, session: SessionData | None) -> None: ...


class Connector(ABC):
    """A network plugin. Subclasses set the class attributes and implement `fetch`.

    Args:
        account: the account's name (as configured; "" for an anonymous/monitoring connector).
        settings: the account's options from config (server URL, handle, search terms ...).
        secret: the account's token or password, fetched from the keyring by the caller.
        http: an optional httpx.Client (tests pass one bound to a loopback server).
    """

    name: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    glyph: ClassVar[str] = "?"
    capabilities: ClassVar[Capabilities] = Capabilities()
    # The account settings this connector accepts in config ([[accounts]] tables), with their type
    # and a one-line description; config validation rejects any other key.
    options: ClassVar[dict[str, tuple[type, str]]] = {}
    secret_label: ClassVar[str] = ""  # what the secret is ("access token", "app password"); "" = none
    # The connector keeps a login session (tokens it refreshes) in `session_store`, which the
    # caller sets to the account's stored session before the first request.
    keeps_session: ClassVar[bool] = False
    session_store: SessionStore | None = None
    # What `moderate` can do on this network through its API (see MODERATION_ACTIONS).
    moderation: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.account = account
        self.settings: Mapping[str, object] = settings or {}
        self.secret = secret
        self.http = http

    @classmethod
    def facts(cls) -> NetworkFacts:
        """The network as compose counts it and the desk shows it (name, glyph, capabilities)."""
        return NetworkFacts(cls.name, cls.display_name or cls.name, cls.glyph, cls.capabilities)

    def moderate(self, action: str, target: ModerationTarget) -> str:
        """Block, mute or report `target` as this account; returns what the network confirmed, in words.

        Raises:
            PermanentError: the network's API does not offer it (or refused it for good).
            ConnectorError: as for sending (auth, rate limit, transient).
        """
        raise PermanentError(f"{self.display_name or self.name} offers no way to {action} through its API")

    def own_handle(self) -> str:
        """The account's own handle on the network ("" when not known), as its own posts show it."""
        return str(self.settings.get("handle") or "")

    @abstractmethod
    def fetch(self, cursor: str | None) -> FetchResult:
        """Fetch posts newer than `cursor` (None: first sync) and return the next cursor."""

    def fetch_thread(self, native_id: str) -> list[Post]:
        """Fetch the whole conversation around a post (ancestors and replies).

        Raises:
            PostGone: the post itself no longer exists.
        """
        return []

    def refresh_thread(self, native_id: str) -> FetchResult:
        """A thread as the desk refreshes it when an agent opens it: its posts as they are now
        (edits included, follow-ups that do not mention us, our own posts made elsewhere) and, in
        `deleted`, the posts the network says are gone. `cursor` is unused (None).

        The default calls `fetch_thread` and reports the post as deleted when it raises `PostGone`;
        override it when the network can tell more (other posts of the thread gone).
        """
        try:
            return FetchResult(posts=self.fetch_thread(native_id), cursor=None)
        except PostGone as gone:
            return FetchResult(posts=[], cursor=None, deleted=[gone.native_id])

    def send(self, reply: OutgoingReply) -> SendResult:
        """Send a reply or DM; raise RateLimited/AuthError/TransientError/SendUncertain."""
        raise PermanentError(f"{self.display_name or self.name} cannot send replies")

    def refusal(self, reply: OutgoingReply) -> str | None:
        """Why the network would refuse this reply, when that can be known before the agent reviews it.

        `socialdesk reply` asks before its review (a DM where there are none, a deleted post).
        May read the network, never writes. Returns None when no objection is known.
        """
        if reply.dm and not self.capabilities.can_dm:
            return f"{self.display_name or self.name} has no direct messages here: reply in public"
        return None

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Look on the network for a reply that may already have been sent (reconciliation).

        Returns:
            The reply as the network stores it, or None only when the lookup proves it is absent
            (the outbox then sends it again).

        Raises:
            CannotTell: the network cannot be searched for it; the agent decides.
        """
        raise CannotTell(f"{self.display_name or self.name} cannot look up sent replies")

    def resend_is_harmless(self, reply: OutgoingReply, age: float) -> bool:
        """Whether the server itself would recognise a repeat `age` seconds after the first attempt.

        Only for a server known to honour an idempotency key (or a record key) for this long; the
        outbox asks only when `find_sent` cannot tell. Default: no.
        """
        return False

    @classmethod
    def reply_audience(cls, parent_raw: object, dm: bool, settings: Mapping[str, object]) -> str:
        """Who will see a reply to a stored post (its raw payload), in words shown before sending."""
        return "direct message" if dm else "public reply"

    def limit(self) -> int:
        """The reply length limit in force (a server may override the class default)."""
        return self.capabilities.max_length

    def server_limits(self) -> ServerLimits | None:
        """The limits the server announced, once read (fetch and verify read them); None when the
        network has no per-server limits or they are not known yet. The sync engine and `accounts
        test` keep them per account in the cache, for the composer and `socialdesk reply`."""
        return None

    def number_option(self, key: str, default: float) -> float:
        """A numeric setting (`default` when unset), checked: config validates the declared types,
        but a connector may also be built by code.

        Raises:
            ConfigError: the setting is not a number.
        """
        value = self.settings.get(key)
        if value is None:
            return float(default)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"account {self.account!r}: {key} must be a number, got {value!r:.40}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(
                f"account {self.account!r}: {key} must be a number, got {value!r:.40}"
            ) from None

    def int_option(self, key: str, default: int) -> int:
        """A whole-number setting (`default` when unset); see `number_option`."""
        number = self.number_option(key, default)
        if not math.isfinite(number):
            raise ConfigError(f"account {self.account!r}: {key} must be a whole number")
        return int(number)

    def list_option(self, key: str) -> list[str]:
        """A list setting's entries as text ([] when unset or not a list)."""
        value = self.settings.get(key)
        return [str(item) for item in value] if isinstance(value, list | tuple) else []

    def backfill_horizon(self, now: float | None = None) -> float:
        """How far back (unix seconds) a first sync reads: `backfill_days` (default 7) before now.

        A connector pages back from the newest post until it passes this time (or its stored
        cursor, on later syncs) and reports where it got to in `FetchResult.reached`.

        Raises:
            ConfigError: `backfill_days` is not a whole number of days >= 0.
        """
        days = self.settings.get("backfill_days", BACKFILL_DAYS)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(f"account {self.account!r}: backfill_days must be a whole number >= 0")
        return (time.time() if now is None else now) - days * 86400

    def verify(self) -> str:
        """Check the credentials; return a one-line description of the account."""
        return self.account or self.name

    def own_author(self) -> Author | None:
        """Our account as this network shows its posts' authors, once known (after a fetch or
        verify); None when unknown or the connector has no account. The sync engine keeps it, so
        posts of any of our accounts are ours whichever account's stream brings them."""
        return None

    def close(self) -> None:
        """Release network resources."""
        if self.http is not None and hasattr(self.http, "close"):
            self.http.close()
