"""A deterministic synthetic cache for the benchmarks: posts, customers, threads, statuses and tags.

The same `CorpusSpec` always yields the same rows (every random choice comes from one seeded
generator), so a cache built once is reused between runs; its file name carries the parameters and
the schema version, so a new migration or generator change builds a fresh one (bench/corpus_cache.py
builds and reuses it).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

import msgspec
from msgspec.structs import asdict

from socialdesk.connectors import demo_corpus
from socialdesk.models import Author, Post
from socialdesk.store.schema import SCHEMA_VERSION

GENERATOR_VERSION = 2  # bump when the rows a spec yields change
END = 1_767_225_600.0  # 2026-01-01 UTC: the newest cached post (fixed, so the cache is reproducible)
SPAN = 365 * 24 * 3600.0
NETWORKS = ("x", "mastodon", "bluesky", "reddit", "reviews")
NETWORK_WEIGHTS = (40, 22, 22, 10, 6)
STATUSES = ("new", "open", "pending", "snoozed", "escalated", "resolved")
STATUS_WEIGHTS = (30, 20, 10, 5, 5, 30)
INTENTS = ("complaint", "question", "praise", "billing", "delivery", "outage", "spam", "")
TAGS = ("vip", "refund", "outage", "billing", "delivery", "escalate", "spam", "follow-up", "press", "legal")
AGENTS = ("", "", "", "", "jd", "mk", "rs")
SLA_MINUTES = {0: 240, 1: 120, 2: 60, 3: 15}
OTHER_SCRIPTS = (
    "спасибо",
    "доставка",
    "заказ",
    "ελπίζω",
    "παραγγελία",
    "注文",
    "配達",
    "ありがとう",
    "배송",
    "주문",
    "pedido",
    "entrega",
    "Bestellung",
    "Lieferung",
    "commande",
    "livraison",
    "🙏",
    "😡",
    "👏",
    "❤️",
    "🔥",
)


class CorpusSpec(msgspec.Struct, frozen=True):
    """What to generate.

    Attributes:
        posts: posts in the cache.
        customers: distinct customers (about one in ten has an identity on a second network).
        whale_posts: posts by customer 1, the heavy customer whose history the suite opens.
        seed: the generator's seed.
    """

    posts: int = 1_000_000
    customers: int = 50_000
    whale_posts: int = 5_000
    seed: int = 6

    @classmethod
    def for_posts(cls, posts: int, seed: int = 6) -> CorpusSpec:
        """The suite's proportions at a given size (50,000 customers and a 5,000-post customer at 1M)."""
        return cls(
            posts=posts,
            customers=max(100, posts // 20),
            whale_posts=min(5_000, max(10, posts // 10)),
            seed=seed,
        )

    def key(self, schema: int = SCHEMA_VERSION) -> str:
        """A short digest of everything that determines the cache's contents."""
        text = json.dumps({**asdict(self), "generator": GENERATOR_VERSION, "schema": schema}, sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    def path(self, cache_dir: Path, schema: int = SCHEMA_VERSION) -> Path:
        """Where this spec's cache lives under `cache_dir` (at a schema version: the current one)."""
        return cache_dir / f"corpus-{self.posts}-s{schema}-{self.key(schema)}.db"


# -- vocabulary -----------------------------------------------------------------------------------


def _demo_words() -> list[str]:
    """Words of the demo network's templates, most frequent first (they head the Zipf ranking)."""
    counts: dict[str, int] = {}
    for templates, _, _ in demo_corpus.CATEGORIES:
        for template in (*templates, *demo_corpus.FOLLOW_UPS):
            for word in re.findall(r"[^\W\d_]+", template.replace("{brand}", demo_corpus.BRAND_HANDLE)):
                counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """`size` distinct words: the demo corpus's, a few in other scripts, then generated ones."""
    words = _demo_words()
    seen = set(words)
    for k, word in enumerate(OTHER_SCRIPTS):  # mid-ranking: mixed-script text is common, not dominant
        if word not in seen:
            words.insert(min(len(words), 60 + 15 * k), word)
            seen.add(word)
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiouy"
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        if rng.random() < 0.3:
            word += rng.choice(consonants)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words[:size]


# -- the generator --------------------------------------------------------------------------------


class Record(msgspec.Struct):
    """One generated post, before it becomes a cache row or a connector `Post`."""

    index: int
    network: str
    native_id: str
    customer: int  # customer index (0 = the whale), or -1 for our own reply
    text: str
    created_at: float
    in_reply_to: str | None
    conversation_id: str
    kind: str
    lang: str
    is_ours: bool
    tags: tuple[str, ...]


class Generator:
    """Yields the records of a spec in time order (oldest first)."""

    def __init__(self, spec: CorpusSpec, prefix: str = "b", end: float = END) -> None:
        self.spec = spec
        self.prefix = prefix
        self.end = end
        self.rng = random.Random(spec.seed)
        rng = self.rng
        self.words = vocabulary(40_000, rng)
        self.word_cum = list(accumulate(1.0 / (rank + 2.7) ** 1.07 for rank in range(len(self.words))))
        self.templates = [t for ts, _, _ in demo_corpus.CATEGORIES for t in ts] + list(demo_corpus.FOLLOW_UPS)
        customers = spec.customers
        # Long-tailed activity: a few customers write often, most only once or twice.
        self.customer_cum = list(accumulate(1.0 / (c + 20) ** 0.85 for c in range(1, customers)))
        self.names: list[str] = []
        self.handles: list[str] = []
        self.customer_networks: list[tuple[str, ...]] = []
        self.followers: list[int] = []
        for c in range(customers):
            if c % 17 == 5:
                name = demo_corpus.SPECIAL_NAMES[c % len(demo_corpus.SPECIAL_NAMES)]
                handle = f"user{c}"
            else:
                first, last = rng.choice(demo_corpus.FIRST), rng.choice(demo_corpus.LAST)
                name = f"{first} {last}"
                handle = "".join(ch for ch in f"{first}{last}".lower() if ch in string.ascii_lowercase) + str(
                    c
                )
            primary = rng.choices(NETWORKS, NETWORK_WEIGHTS)[0]
            nets: tuple[str, ...] = (primary,)
            if c == 0 or c % 10 == 3:
                nets = (primary, "mastodon" if primary != "mastodon" else "x")
            self.names.append(name)
            self.handles.append(handle)
            self.customer_networks.append(nets)
            self.followers.append(int(rng.paretovariate(1.2) * 60))

    def handle_on(self, customer: int, network: str) -> str:
        """The customer's handle as `network` spells it."""
        handle = self.handles[customer]
        if network == "mastodon":
            return f"{handle}@{('mastodon.social', 'fosstodon.org', 'mas.to')[customer % 3]}"
        if network == "bluesky":
            return f"{handle}.bsky.social"
        return handle

    def text(self) -> str:
        """A post's text: a filled demo template, or a Zipf-distributed run of words."""
        rng = self.rng
        if rng.random() < 0.3:
            return rng.choice(self.templates).format(
                brand=demo_corpus.BRAND_HANDLE,
                order=rng.randrange(100000, 999999),
                amount=rng.randrange(5, 300),
                days=rng.randrange(2, 12),
                city=rng.choice(demo_corpus.CITIES),
            )
        n = min(50, 4 + int(rng.expovariate(1 / 14)))
        words, cum, total = self.words, self.word_cum, self.word_cum[-1]
        picked = [words[bisect_right(cum, rng.random() * total)] for _ in range(n)]
        if rng.random() < 0.6:
            picked.insert(0, "@" + demo_corpus.BRAND_HANDLE)
        return " ".join(picked)

    def records(self, count: int | None = None) -> Iterator[Record]:
        """The records, oldest first, spread evenly over the year before `end`."""
        spec, rng = self.spec, self.rng
        count = spec.posts if count is None else count
        step = SPAN / count
        start = self.end - SPAN
        whale_every = max(1, count // spec.whale_posts) if spec.whale_posts else 0
        recent: dict[str, deque[tuple[str, str, int]]] = {n: deque(maxlen=64) for n in NETWORKS}
        whale_recent: deque[tuple[str, str, str]] = deque(maxlen=8)
        cum, total = self.customer_cum, self.customer_cum[-1]
        for i in range(count):
            created = start + (i + rng.random() * 0.9) * step
            native = f"{self.prefix}{i}"
            roll = rng.random()
            whale = whale_every and i % whale_every == 0 and i // whale_every < spec.whale_posts
            if not whale and roll < 0.08:  # our reply to a recent inbound post
                network = rng.choices(NETWORKS, NETWORK_WEIGHTS)[0]
                if recent[network]:
                    answered, thread_root, owner = rng.choice(recent[network])
                    text = rng.choice(demo_corpus.OUR_REPLIES).format(
                        name=self.names[owner].split()[0], agent=rng.choice(demo_corpus.AGENTS)
                    )
                    yield Record(
                        i, network, native, owner, text, created, answered, thread_root, "own", "en", True, ()
                    )
                    continue
            if whale:
                customer = 0
                network = self.customer_networks[0][i % 2]
            else:
                customer = bisect_right(cum, rng.random() * total) + 1
                network = rng.choice(self.customer_networks[customer])
            parent: str | None = None
            conv: str | None = None
            kind = "mention"
            if whale and whale_recent and rng.random() < 0.8:  # the whale writes long threads
                parent, conv, network = rng.choice(whale_recent)
                kind = "reply"
            elif recent[network] and rng.random() < 0.25:
                parent, conv, _ = rng.choice(recent[network])
                kind = "reply"
            elif rng.random() < 0.05:
                kind = "dm"
            text = self.text()
            lang = (
                "en" if text.isascii() or rng.random() < 0.7 else rng.choice(("es", "de", "ja", "ru", "fr"))
            )
            tags = tuple(rng.sample(TAGS, rng.choice((1, 1, 2)))) if rng.random() < 0.12 else ()
            conv = conv or native
            recent[network].append((native, conv, customer))
            if whale:
                whale_recent.append((native, conv, network))
            yield Record(i, network, native, customer, text, created, parent, conv, kind, lang, False, tags)

    def author(self, record: Record) -> Author:
        """The author of a record as its network knows them."""
        if record.is_ours:
            return Author(
                native_id=f"{record.network}-brand",
                handle=demo_corpus.BRAND_HANDLE,
                display_name=demo_corpus.BRAND,
                followers=120_000,
            )
        c = record.customer
        return Author(
            native_id=f"{record.network}-u{c}",
            handle=self.handle_on(c, record.network),
            display_name=self.names[c],
            followers=self.followers[c],
        )

    def post(self, record: Record) -> Post:
        """A record as a connector would deliver it."""
        return Post(
            network=record.network,
            native_id=record.native_id,
            author=self.author(record),
            text=record.text,
            created_at=record.created_at,
            account="bench",
            url=f"https://{record.network}.example/{record.native_id}",
            in_reply_to=record.in_reply_to,
            conversation_id=record.conversation_id,
            kind=record.kind,
            lang=record.lang,
            is_ours=record.is_ours,
        )
