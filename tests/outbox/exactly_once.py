"""The exactly-once suite: reply delivery under every fault, against each network's fake, counted.

Each run queues three replies to a followers-only (where the network has visibility) customer post,
makes the first send fail one way, drives the outbox (a restart where the fault is a crash, the
agent's retry where it is one) until nothing is left to do, then counts what the server holds:

    replies   replies the outbox reports sent
    copies    statuses on the server carrying one of the replies (exactly once: copies == 3)
    lost      replies that never reached the server
    widened   copies more public than the post they answer
    asked     replies held for the agent because the network could not tell
    first     what the faulty send left the first reply as (proof the fault struck)

A network plugs in by implementing `Network` and adding itself to `NETWORKS`.
Print the table: `python -m tests.outbox.exactly_once`.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socialdesk.connectors.base import Connector, FetchResult, OutgoingReply, SendResult
from socialdesk.services.outbox import Outbox
from tests.outbox.helpers import Clock, post_id
from tests.outbox.networks import NETWORKS, Network

REPLIES = 3
ROUNDS = 20
STEP = 31.0  # seconds between outbox rounds: just past the reconcile delay
VISIBILITY_ORDER = ("public", "unlisted", "private", "direct")

# Faults on the first send. Server-side ones are scripted into the fake; the rest happen around it.
# A stall pauses the whole server (GoToSocial under SIGSTOP); "busy" holds only that request after
# it committed, before Mastodon stores the key (its non-atomic window), while the server answers others.
FAULTS = (
    "timeout after commit",
    "stall after commit",
    "busy after commit",
    "5xx after commit",
    "reset after commit",
    "reset before commit",
    "5xx before commit",
    "crash before send",
    "crash after send",
    "agent retries at once",
)


class Crash(BaseException):
    """The process dies (not an Exception: nothing in the outbox catches it)."""


@dataclass
class Counts:
    """What one run left behind."""

    network: str
    fault: str
    replies: int = 0
    copies: int = 0
    lost: int = 0
    widened: int = 0
    asked: int = 0
    first: str = ""

    @property
    def exactly_once(self) -> bool:
        return self.replies == REPLIES and self.copies == REPLIES and self.lost == 0 and self.widened == 0


class _Crashing(Connector):
    """Wraps a connector; the first send kills the process before or after the request leaves."""

    def __init__(self, inner: Connector, after: bool) -> None:
        super().__init__(inner.account, inner.settings)
        self.inner, self.after, self.armed = inner, after, True

    def fetch(self, cursor: str | None) -> FetchResult:
        return self.inner.fetch(cursor)

    def send(self, reply: OutgoingReply) -> SendResult:
        if self.armed:
            self.armed = False
            if self.after:
                self.inner.send(reply)
            raise Crash
        return self.inner.send(reply)

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        return self.inner.find_sent(reply)

    def resend_is_harmless(self, reply: OutgoingReply, age: float) -> bool:
        return self.inner.resend_is_harmless(reply, age)


def run(make: Callable[[], Network], fault: str, workdir: Path) -> Counts:
    """Queue the replies, inject `fault` into the first send, drive the outbox to the end, count."""
    net = make()
    net.start()
    store, parents = net.open_store(workdir / f"{net.label}-{fault.replace(' ', '-')}.db")
    clock = Clock(time.time())
    crash = fault.startswith("crash")
    crashing: dict[str, _Crashing] = {}

    def resolve(network: str, account: str) -> Connector:
        inner = net.connector(account)
        if crash and not crashing:
            crashing[account] = _Crashing(inner, after=fault == "crash after send")
            return crashing[account]
        return inner

    outbox = Outbox(store, resolve, clock=clock, undo_seconds=0)
    texts = {p: net.reply_text(i, p) for i, p in enumerate(parents)}
    ids = [outbox.enqueue(post_id(store, p), texts[p], "ana")[0] for p in parents]
    net.script(fault)
    first_state = ""
    try:
        for round_ in range(ROUNDS):
            try:
                outbox.delivery.process_due(clock.advance(STEP))
            except Crash:  # the process died mid-send: a new one starts and recovers
                first_state = first_state or "crashed while sending"
                outbox.close()
                outbox = Outbox(store, resolve, clock=clock, undo_seconds=0)
                outbox.delivery.recover()
            first = outbox.get(ids[0])
            first_state = first_state or (first.state if first else "?")
            if fault == "agent retries at once" and round_ == 0 and first and first.state == "unknown":
                outbox.retry(ids[0], "ana")  # the agent presses retry on the unknown reply at once
            if fault in ("stall after commit", "busy after commit") and round_ == 2:
                net.resume()
            rows = [outbox.get(i) for i in ids]
            if all(
                r is not None and (r.state == "sent" or (r.state == "unknown" and r.next_attempt_at is None))
                for r in rows
            ):
                break
    finally:
        net.resume()
        net.settle()
    rows = [r for r in (outbox.get(i) for i in ids) if r is not None]
    counts = Counts(net.label, fault, first=first_state)
    counts.replies = sum(r.state == "sent" for r in rows)
    counts.asked = sum(r.state == "unknown" and r.next_attempt_at is None for r in rows)
    for parent in parents:
        mine = [(text, vis) for text, vis in net.copies(parent) if text == texts[parent]]
        counts.copies += len(mine)
        counts.lost += not mine
        allowed = VISIBILITY_ORDER.index(net.parent_visibility(parent))
        counts.widened += sum(VISIBILITY_ORDER.index(vis) < allowed for _, vis in mine)
    outbox.close()
    store.close()
    net.stop()
    return counts


def _settled(outbox: Outbox, reply_id: int) -> bool:
    """Sent, or held for the agent: the outbox will do nothing more with it on its own."""
    row = outbox.get(reply_id)
    held = row is not None and row.state == "unknown" and row.next_attempt_at is None
    return held or (row is not None and row.state == "sent")


def table(results: list[Counts]) -> str:
    """The counts as a Markdown table (for the issue's closing note)."""
    lines = [
        "| network | fault | first send | replies | copies on server | lost | widened | asked agent |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in results:
        counts = f"{c.replies}/{REPLIES} | {c.copies} | {c.lost} | {c.widened} | {c.asked}"
        lines.append(f"| {c.network} | {c.fault} | {c.first} | {counts} |")
    return "\n".join(lines)


def main() -> int:
    """Run every network under every fault and print the table; exit 1 unless all are exactly once."""
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(make, fault, Path(tmp)) for make in NETWORKS.values() for fault in FAULTS]
    print(table(results))
    return 0 if all(c.exactly_once for c in results) else 1


if __name__ == "__main__":
    sys.exit(main())
