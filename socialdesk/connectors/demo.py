"""The embedded demo network: a deterministic generator of a realistic, live customer-service workspace.

Post number `i` is always the same text by the same author (it depends only on the seed and `i`);
timestamps are laid out relative to an anchor time chosen at the first sync and kept in the cursor,
so the history ends "now" and new posts keep arriving every few seconds while the desk is open.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import msgspec

from socialdesk.connectors import demo_corpus as corpus
from socialdesk.connectors.base import (
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    SendResult,
)
from socialdesk.models import Author, Post

if TYPE_CHECKING:
    import httpx

HISTORY_SECONDS = 3 * 24 * 3600
WAVE_SECONDS = 90 * 60  # the outage wave builds over the last 90 minutes of history and goes on live


class DemoCustomer(msgspec.Struct, frozen=True):
    """A generated person, with one identity per network they use."""

    index: int
    name: str
    handle: str
    followers: int
    networks: tuple[str, ...]


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _customer(seed: int, index: int) -> DemoCustomer:
    rng = _rng(seed, "customer", index)
    if index % 17 == 0:
        name = corpus.SPECIAL_NAMES[(index // 17) % len(corpus.SPECIAL_NAMES)]
        handle = f"user{index}"
    else:
        first, last = rng.choice(corpus.FIRST), rng.choice(corpus.LAST)
        name = f"{first} {last}"
        handle = f"{first}{last}".lower().replace("'", "").replace("é", "e").replace("ü", "u")
        handle = "".join(c for c in handle if c.isascii() and c.isalnum()) + str(index % 97)
    # Reach is long-tailed: most people have a few hundred followers, a handful are influencers.
    followers = int(rng.paretovariate(1.2) * 60)
    if index % 53 == 0:
        followers *= 400
    primary = rng.choices(corpus.NETWORKS, corpus.NETWORK_WEIGHTS)[0]
    networks: tuple[str, ...] = (primary,)
    if index % 9 == 0:  # repeat customers who talk to us on two networks
        other = "mastodon" if primary != "mastodon" else "x"
        networks = (primary, other)
    return DemoCustomer(index, name, handle, followers, networks)


def _handle_on(customer: DemoCustomer, network: str) -> str:
    if network == "mastodon":
        server = ("mastodon.social", "fosstodon.org", "mas.to")[customer.index % 3]
        return f"{customer.handle}@{server}"
    if network == "bluesky":
        return f"{customer.handle}.bsky.social"
    return customer.handle


class DemoConnector(Connector):
    """A network that exists only in memory: several networks' worth of realistic posts, live.

    Settings (all optional): `seed`, `initial_posts` (history size), `interval` (seconds between new
    posts), `customers`, `batch` (posts per fetch while catching up).
    """

    name = "demo"
    display_name = "Demo network"
    glyph = "◆"
    capabilities = Capabilities(
        max_length=280,
        counting="x-weighted",
        can_reply=True,
        can_dm=True,
        monitoring=frozenset({"mentions", "search", "dm"}),
        reply_mentions=True,
        embedded=True,
    )
    options = {
        "seed": (int, "Generator seed: the same seed always gives the same workspace."),
        "initial_posts": (int, "How many posts of history the first sync produces."),
        "interval": (float, "Seconds between new live posts."),
        "customers": (int, "Size of the customer pool."),
        "batch": (int, "Posts per fetch while catching up."),
    }

    def __init__(
        self,
        account: str = "",
        settings: Mapping[str, object] | None = None,
        secret: str | None = None,
        http: httpx.Client | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(account, settings, secret, http)
        self.account = self.account or "demo"
        self.seed = self.int_option("seed", 7)
        self.initial = self.int_option("initial_posts", 3000)
        self.interval = self.number_option("interval", 4.0)
        self.customers = self.int_option("customers", 600)
        self.batch = self.int_option("batch", 1000)
        self.clock = clock
        self.sent: dict[str, SendResult] = {}

    # -- generation -----------------------------------------------------------------------------

    def timestamp(self, index: int, anchor: float) -> float:
        """When post `index` was written, for a workspace anchored at `anchor`."""
        if index < self.initial:
            # History: spread over three days, denser towards now (queues are busier lately).
            fraction = (index + 1) / self.initial
            return anchor - HISTORY_SECONDS * (1 - fraction) ** 1.3
        jitter = _rng(self.seed, "jitter", index).uniform(-0.4, 0.4) * self.interval
        return anchor + (index - self.initial + 1) * self.interval + jitter

    def post(self, index: int, anchor: float) -> Post:
        """Generate post number `index` (deterministic for a seed)."""
        rng = _rng(self.seed, "post", index)
        at = self.timestamp(index, anchor)
        wave = max(0.0, 1 - (anchor - at) / WAVE_SECONDS) if at > anchor - WAVE_SECONDS else 0.0
        # During the wave outage complaints dominate; many come from a few loud, connected voices.
        weights = [w * (1 + 40 * wave) if cat == "outage" else w for _, w, cat in corpus.CATEGORIES]
        templates, _, category = rng.choices(corpus.CATEGORIES, weights)[0]
        customer = _customer(self.seed, rng.randrange(self.customers))
        network = rng.choice(customer.networks)
        text = rng.choice(templates).format(
            brand=corpus.BRAND_HANDLE if network != "reviews" else corpus.BRAND,
            order=rng.randrange(100000, 999999),
            amount=f"{rng.uniform(8, 140):.2f}",
            days=rng.randrange(2, 12),
            city=rng.choice(corpus.CITIES),
        )
        native_id = f"{network}-{index}"
        parent = self._parent(index)
        in_reply_to = conversation = None
        if parent is not None:
            text = rng.choice(corpus.FOLLOW_UPS).format(order=rng.randrange(100000, 999999))
            category = "follow_up"
            parent_post = self.post(parent, anchor)
            network, customer = parent_post.network, _customer(self.seed, int(parent_post.raw["customer"]))
            native_id = f"{network}-{index}"
            in_reply_to = self._our_reply_id(parent)
            conversation = parent_post.conversation_id or parent_post.native_id
        handle = _handle_on(customer, network)
        return Post(
            network=network,
            native_id=native_id,
            author=Author(
                native_id=f"{network}-u{customer.index}",
                handle=handle,
                display_name=customer.name,
                followers=customer.followers,
                url=f"https://{network}.example/@{handle}",
            ),
            text=text,
            created_at=at,
            account=self.account,
            url=f"https://{network}.example/{native_id}",
            in_reply_to=in_reply_to,
            conversation_id=conversation or native_id,
            kind="reply"
            if parent is not None
            else ("search" if category in ("chatter", "spam") else "mention"),
            lang={"foreign": "und"}.get(category, "en"),
            raw={"demo": True, "index": index, "category": category, "customer": customer.index},
        )

    def _parent(self, index: int) -> int | None:
        """Some posts continue an earlier conversation that we answered (back and forth)."""
        rng = _rng(self.seed, "parent", index)
        if index < 40 or rng.random() > 0.12:
            return None
        parent = index - rng.randrange(5, 40)
        return parent if self._answered(parent) and self._parent(parent) is None else None

    def _answered(self, index: int) -> bool:
        return _rng(self.seed, "answered", index).random() < 0.35 and index < self.initial

    def _our_reply_id(self, index: int) -> str:
        return f"ours-{index}"

    def our_reply(self, index: int, anchor: float) -> Post:
        """The reply one of our agents gave to post `index` (part of the history)."""
        original = self.post(index, anchor)
        rng = _rng(self.seed, "reply", index)
        name = original.author.display_name.split(" ")[0]
        return Post(
            network=original.network,
            native_id=self._our_reply_id(index),
            author=Author(
                native_id=f"{original.network}-brand",
                handle=corpus.BRAND_HANDLE,
                display_name=corpus.BRAND,
                followers=120000,
            ),
            text=rng.choice(corpus.OUR_REPLIES).format(name=name, agent=rng.choice(corpus.AGENTS)),
            created_at=original.created_at + rng.uniform(120, 3600),
            account=self.account,
            in_reply_to=original.native_id,
            conversation_id=original.conversation_id,
            kind="own",
            is_ours=True,
            raw={"demo": True, "reply_to": index},
        )

    # -- the connector interface -----------------------------------------------------------------

    def fetch(self, cursor: str | None) -> FetchResult:
        """Catch up to "now": the history in batches on first sync, then the live posts since."""
        state = json.loads(cursor) if cursor else {"anchor": self.clock(), "next": 0}
        anchor, start = float(state["anchor"]), int(state["next"])
        due = self.initial + max(0, int((self.clock() - anchor) / self.interval))
        end = min(due, start + self.batch)
        posts: list[Post] = []
        for index in range(start, end):
            post = self.post(index, anchor)
            if post.created_at > self.clock():
                end = index
                break
            posts.append(post)
            if self._answered(index):
                reply = self.our_reply(index, anchor)
                if reply.created_at <= anchor:  # recent posts are still waiting for us
                    posts.append(reply)
        posts.sort(key=lambda p: p.created_at)
        return FetchResult(posts, json.dumps({"anchor": anchor, "next": end}), more=end < due)

    def send(self, reply: OutgoingReply) -> SendResult:
        """Accept the reply (the demo network never fails unless told to in tests)."""
        result = self.sent.get(reply.idempotency_key)
        if result is None:
            native_id = f"sent-{reply.idempotency_key[:12]}"
            result = SendResult(native_id=native_id, url=f"https://demo.example/{native_id}")
            self.sent[reply.idempotency_key] = result
        return result

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        """Our in-memory record of what was sent."""
        return self.sent.get(reply.idempotency_key)

    def verify(self) -> str:
        """The demo network needs no credentials."""
        return f"demo network (seed {self.seed})"
