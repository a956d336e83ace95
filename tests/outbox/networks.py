"""The networks of the exactly-once suite: each fake server, its connector, and what its server holds.

A network plugs into the suite by implementing `Network`. Faults the fakes script themselves
(tests/connectors/faults.py, tests/outbox/fake_mastodon.py) go through `script`; the ones that are
about time (an answer that comes too late, a server that pauses, a request that stays busy after
its post exists) are added around the fake's create route by `HeldRoute`, the same for every network.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx

from socialdesk.connectors.base import Connector
from socialdesk.connectors.bluesky import BlueskyConnector
from socialdesk.connectors.http import RetryPolicy
from socialdesk.connectors.x import XConnector
from socialdesk.models import Author, Post
from socialdesk.store import Store
from socialdesk.testing import SECRET, Loopback, Reply, Request
from tests.connectors import faults
from tests.outbox import fake_mastodon as fm
from tests.outbox.helpers import make_store

TIMEOUT = 0.5  # the client's read timeout: an answer later than this is a timeout
FAST = RetryPolicy(base_delay=0.0, sleep=lambda s: None)

# The suite's fault names -> the fakes' own script steps (faults.py and fake_mastodon.py agree).
SCRIPTED = {
    "5xx after commit": faults.ERROR_AFTER_CREATE,
    "reset after commit": faults.DROP_AFTER_CREATE,
    "reset before commit": faults.DROP_BEFORE_CREATE,
    "5xx before commit": faults.ERROR_BEFORE_CREATE,
}
# Faults about time, done around the create route: the post exists, then ...
HELD = {
    "timeout after commit": "late",  # ... the answer comes after the client gave up
    "agent retries at once": "late",
    "stall after commit": "stall",  # ... the whole server pauses until resumed
    "busy after commit": "busy",  # ... this request stays busy until resumed; others are answered
}


class Network(Protocol):
    """One network's fake server and the connector that sends to it."""

    label: str
    network: str  # the connector's network name in the cache

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def open_store(self, path: Path) -> tuple[Store, list[str]]:
        """A cache holding the customer posts to answer, and their native ids."""
        ...

    def reply_text(self, index: int, parent: str) -> str: ...
    def connector(self, account: str) -> Connector: ...
    def script(self, fault: str) -> None:
        """Make the server fail the next send this way."""
        ...

    def resume(self) -> None:
        """End a stall or a busy request."""
        ...

    def settle(self) -> None:
        """Wait until the server finished every request it holds."""
        ...

    def copies(self, parent: str) -> list[tuple[str, str]]:
        """(text, visibility) of every post or message on the server answering `parent`."""
        ...

    def parent_visibility(self, parent: str) -> str: ...


class HeldRoute:
    """Wraps a fake's create route: the post is made, then the answer is late, paused or busy."""

    def __init__(self, server: Loopback, method: str, path: str, create: Callable[[Request], Any]) -> None:
        self.server, self.create = server, create
        self.holds: deque[str] = deque()
        self.released = threading.Event()
        self.in_flight = 0
        self.idle = threading.Condition()
        server.route(method, path, self.handle)

    def handle(self, request: Request) -> Any:
        with self.idle:
            self.in_flight += 1
            hold = self.holds.popleft() if self.holds else ""
        try:
            answer = self.create(request)
            if hold == "late" and isinstance(answer, Reply):
                return Reply(answer.status, answer.body, answer.headers, delay=TIMEOUT * 6)
            if hold == "stall":
                self.server.pause()
                self.server.wait_running()
            if hold == "busy":
                self.released.wait(120)
            return answer
        finally:
            with self.idle:
                self.in_flight -= 1
                self.idle.notify_all()

    def resume(self) -> None:
        self.server.resume()
        self.released.set()

    def settle(self) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.in_flight == 0, 30)


class MastodonNetwork:
    """The Mastodon fake, as Mastodon (key checked before, stored after) or GoToSocial (key ignored)."""

    network = "mastodon"

    def __init__(self, honour_keys: bool) -> None:
        self.label = "mastodon" if honour_keys else "gotosocial"
        parents = {str(100 + i): {"visibility": "private"} for i in range(3)}  # followers-only complaints
        self.fake = fm.FakeMastodon(honour_keys=honour_keys, parents=parents)

    def start(self) -> None:
        self.fake.start()

    def stop(self) -> None:
        self.fake.stop()

    def open_store(self, path: Path) -> tuple[Store, list[str]]:
        return make_store(path, network="mastodon"), ["100", "101", "102"]

    def reply_text(self, index: int, parent: str) -> str:
        return f"@user{index}@other.example We are sorry, this is our answer to {parent}"

    def connector(self, account: str) -> Connector:
        return fm.mastodon_connector(self.fake.url, timeout=TIMEOUT, account=account)

    def script(self, fault: str) -> None:
        own = {"late": fm.HANG_AFTER_CREATE, "stall": fm.STALL_AFTER_CREATE, "busy": fm.SLOW_AFTER_CREATE}
        step = SCRIPTED.get(fault) or own.get(HELD.get(fault, ""))
        if step:
            self.fake.script.append(step)

    def resume(self) -> None:
        self.fake.resume()

    def settle(self) -> None:
        self.fake.settle()

    def copies(self, parent: str) -> list[tuple[str, str]]:
        statuses = [s for s in self.fake.statuses if s["in_reply_to_id"] == parent]
        return [(self.fake.sources[s["id"]], s["visibility"]) for s in statuses]

    def parent_visibility(self, parent: str) -> str:
        return str(self.fake.customers[parent]["visibility"])


class _LoopbackNetwork:
    """What the X and Bluesky adapters share: a loopback server, a held create route, faults."""

    label = network = ""
    create_path = ""

    def __init__(self) -> None:
        self.server = Loopback()
        self.fake: Any = None
        self.route: HeldRoute | None = None

    def serve(self) -> Any:  # the fake, routes installed
        raise NotImplementedError

    def start(self) -> None:
        self.server.start()
        self.fake = self.serve()
        self.route = HeldRoute(
            self.server, "POST", self.create_path, self.server.routes[("POST", self.create_path)]
        )

    def stop(self) -> None:
        self.resume()
        self.server.stop()

    def script(self, fault: str) -> None:
        assert self.route is not None
        if fault in SCRIPTED:
            self.fake.script.append(SCRIPTED[fault])
        elif fault in HELD:
            self.route.holds.append(HELD[fault])

    def resume(self) -> None:
        if self.route is not None:
            self.route.resume()

    def settle(self) -> None:
        if self.route is not None:
            self.route.settle()

    def parent_visibility(self, parent: str) -> str:
        return "public"  # neither network has narrower audiences for a reply

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=TIMEOUT)


class XNetwork(_LoopbackNetwork):
    """X's fake (tests/connectors/fake_x.py): no idempotency key, reconciled through the timeline."""

    label = network = "x"
    create_path = "/2/tweets"

    def serve(self) -> Any:
        from tests.connectors.fake_x import FakeX

        return FakeX(self.server)

    def open_store(self, path: Path) -> tuple[Store, list[str]]:
        return make_store(path, network="x", account="brand-x"), ["100", "101", "102"]

    def reply_text(self, index: int, parent: str) -> str:
        return f"@customer{index} We are sorry, this is our answer to {parent}"

    def connector(self, account: str) -> Connector:
        made = XConnector(account, {}, SECRET, self.client())
        made.api.policy = FAST
        return made

    def copies(self, parent: str) -> list[tuple[str, str]]:
        return [
            (t["text"], "public")
            for t in self.fake.mine
            if {"type": "replied_to", "id": parent} in (t.get("referenced_tweets") or [])
        ]


class BlueskyNetwork(_LoopbackNetwork):
    """Bluesky's fake PDS and AppView (tests/connectors/test_bluesky.py): record keys from our key."""

    label = network = "bluesky"
    create_path = "/xrpc/com.atproto.repo.createRecord"

    def serve(self) -> Any:
        from tests.connectors.test_bluesky import FakeBluesky

        fake = FakeBluesky(self.server)
        self.views = [fake.notify(f"@acme.bsky.social parcel {i} is lost") for i in range(3)]
        return fake

    def open_store(self, path: Path) -> tuple[Store, list[str]]:
        store = Store(path)
        store.upsert_posts(
            Post(
                network="bluesky",
                native_id=view["uri"],
                author=Author(native_id=view["author"]["did"], handle=view["author"]["handle"]),
                text=view["record"]["text"],
                created_at=1_600_000_000.0 + i,
                account="bsky",
                raw=view,
            )
            for i, view in enumerate(self.views)
        )
        return store, [v["uri"] for v in self.views]

    def reply_text(self, index: int, parent: str) -> str:
        return f"@{self.views[index]['author']['handle']} We are sorry, this is our answer {index}"

    def connector(self, account: str) -> Connector:
        made = BlueskyConnector(account, {"handle": "acme.bsky.social"}, SECRET, self.client())
        made.api.policy = FAST
        return made

    def copies(self, parent: str) -> list[tuple[str, str]]:
        return [
            (r["text"], "public")
            for r in self.fake.records.values()
            if ((r.get("reply") or {}).get("parent") or {}).get("uri") == parent
        ]


# Every network the suite runs against: one row group of the table each.
NETWORKS: dict[str, Callable[[], Network]] = {
    "mastodon": lambda: MastodonNetwork(honour_keys=True),
    "gotosocial": lambda: MastodonNetwork(honour_keys=False),
    "x": XNetwork,
    "bluesky": BlueskyNetwork,
}
