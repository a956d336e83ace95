"""The hub process: leads every account it can, syncs each into the team's PostgreSQL, sends its outbox.

Two threads, each with its own connection. The keeper holds the leadership session: it renews the
leases it holds and tries to take the others every `poll` seconds (README: Team, "The hub"). The
worker does the work of the accounts led: on taking one, recover the sends an earlier leader left
`sending`; then sync it every `sync_interval` (the solo desk's sync engine into the hub's cache,
published page by page) and send its due replies (the solo desk's delivery, on a fenced ledger),
woken by the change feed when a desk queues a reply. The worker also runs the playbook's
automations for the team (hub/automations.py) every `automations_every` seconds and after each
sync, whether or not it leads an account: a firing is claimed once, whichever hub gets there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from socialdesk.hub.automations import run_for_team
from socialdesk.hub.ledger import HubLedger
from socialdesk.hub.publish import Publisher
from socialdesk.services.delivery import RECONCILE_DELAY, ConnectorResolver, Delivery
from socialdesk.services.sync import Source, TriageFn, sync_source
from socialdesk.store import Store
from socialdesk.team import feed, hub_leases
from socialdesk.team.hub_leases import DEFAULT_LEASE, Fenced, Lease
from socialdesk.team.hub_posts import Published

if TYPE_CHECKING:
    import psycopg

    from socialdesk.services.automations import Automation

Connect = Callable[[], "psycopg.Connection"]


class _Led(msgspec.Struct):
    """What the worker keeps for one account it leads."""

    lease: Lease
    delivery: Delivery
    publisher: Publisher
    synced_at: float | None = None


@dataclass
class Hub:
    """One hub: the accounts it may lead, how it reaches the team database, and its timings.

    Args:
        connect: opens an autocommit connection to the team database.
        holder: this hub's name in `hub_leases` and the audit log (unique per running hub).
        sources: the accounts, with their connectors (as the solo desk's sync builds them).
        resolve: (network, account) -> the connector that sends for the account.
        store: the hub's own cache (the sync engine's working store).
        triage: the solo desk's triage (classification, priority, SLA due).
        lease: seconds a lead lasts unless renewed; poll: seconds between the keeper's rounds.
        reconcile_delay: seconds before a send a dead leader left `sending` is looked for.
        say: where the hub reports what it does (a line each).
        automations: the playbook's automations as they are now (the keeper's last good version);
            None runs none.
        automations_every: seconds between automation passes (one also follows each sync).
    """

    connect: Connect
    holder: str
    sources: list[Source]
    resolve: ConnectorResolver
    store: Store
    triage: TriageFn | None = None
    lease: float = DEFAULT_LEASE
    poll: float = 1.0
    sync_interval: float = 60.0
    reconcile_delay: float = RECONCILE_DELAY
    clock: Callable[[], float] = time.time
    say: Callable[[str], None] = lambda line: None
    automations: Callable[[], Sequence[Automation]] | None = None
    automations_every: float = 60.0
    _automated_at: float | None = field(default=None, repr=False)
    _leases: dict[str, Lease] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, repr=False)

    def leading(self) -> dict[str, Lease]:
        """The leases this hub holds now."""
        with self._lock:
            return dict(self._leases)

    def run(self, stop: threading.Event) -> None:
        """Lead and work until `stop` is set; then give every lead up, so a standby takes over at once."""
        # The keeper holds the leads until the worker is done: a send in flight at the stop still
        # records its outcome under the lease, instead of leaving the next leader a reply to recover.
        worked = threading.Event()
        keeper = threading.Thread(
            target=self._keep, args=(worked,), name=f"hub-keeper-{self.holder}", daemon=True
        )
        keeper.start()
        try:
            self._work(stop)
        finally:
            worked.set()
            keeper.join()

    # -- the keeper: leadership ------------------------------------------------------------------

    def _keep(self, stop: threading.Event) -> None:
        conn: psycopg.Connection | None = None
        try:
            while not stop.is_set():
                try:
                    conn = conn or self.connect()
                    self._keep_round(conn)
                except Exception as exc:
                    if conn is not None and not conn.closed and not conn.broken:
                        self.say(f"hub {self.holder}: {type(exc).__name__}: {exc}")
                    else:  # the session is gone, and every lead with it
                        self.say(
                            f"hub {self.holder}: leadership connection lost ({type(exc).__name__}: {exc})"
                        )
                        self._drop_all()
                        if conn is not None:
                            conn.close()
                        conn = None
                stop.wait(self.poll)
        finally:
            if conn is not None and not conn.closed:
                for lease in self.leading().values():
                    hub_leases.release(conn, lease)
                conn.close()
            self._drop_all()

    def _keep_round(self, conn: psycopg.Connection) -> None:
        for source in self.sources:
            held = self.leading().get(source.name)
            if held is not None:
                renewed = hub_leases.renew(conn, held, self.lease)
                if renewed is None:
                    self.say(f"hub {self.holder}: lost the lead of {source.name} (epoch {held.epoch})")
                    self._set(source.name, None)
                else:
                    self._set(source.name, renewed)
                continue
            taken = hub_leases.try_lead(conn, source.name, self.holder, self.lease)
            if taken is not None:
                self.say(f"hub {self.holder}: leading {source.name} (epoch {taken.epoch})")
                self._set(source.name, taken)
                self._wake.set()

    def _set(self, account: str, lease: Lease | None) -> None:
        with self._lock:
            if lease is None:
                self._leases.pop(account, None)
            else:
                self._leases[account] = lease

    def _drop_all(self) -> None:
        with self._lock:
            self._leases.clear()

    # -- the worker: sync and send ---------------------------------------------------------------

    def _work(self, stop: threading.Event) -> None:
        conn: psycopg.Connection | None = None
        led: dict[str, _Led] = {}
        try:
            while not stop.is_set():
                try:
                    if conn is None:
                        conn = self.connect()
                        feed.listen(conn)
                    synced = self._work_round(conn, led)
                    self._automate(conn, synced)
                    self._wake.clear()
                    if not self._wake.is_set():
                        feed.wait(conn, self.poll)  # a desk's commit (a reply queued) wakes the hub
                except Fenced as exc:
                    self.say(f"hub {self.holder}: {exc}")
                except Exception as exc:
                    self.say(f"hub {self.holder}: work connection lost ({type(exc).__name__}: {exc})")
                    if conn is not None:
                        conn.close()
                    conn = None
                    for state in led.values():  # their ledgers used that connection
                        state.delivery.close()
                    led.clear()
                    stop.wait(self.poll)
        finally:
            for state in led.values():
                state.delivery.close()
            if conn is not None:
                conn.close()

    def _work_round(self, conn: psycopg.Connection, led: dict[str, _Led]) -> bool:
        """Sync and send for the accounts led; whether an account was synced."""
        synced = False
        current = self.leading()
        for account in [a for a, state in led.items() if current.get(a, None) != state.lease]:
            if account not in current or current[account].epoch != led[account].lease.epoch:
                led.pop(account).delivery.close()
            else:  # renewed: same epoch, later end
                led[account].lease = current[account]
        for source in self.sources:
            lease = current.get(source.name)
            if lease is None:
                continue
            state = led.get(source.name)
            if state is None:
                state = led[source.name] = self._take_up(conn, source, lease)
            now = self.clock()
            if state.synced_at is None or now - state.synced_at >= self.sync_interval:
                self._sync(source, state)
                self._publish_account(conn, source, state.lease)
                state.synced_at = now
                synced = True
            for event in state.delivery.process_due():
                self.say(f"{source.name}: reply {event.reply_id} {event.state} {event.error}".rstrip())
        return synced

    def _automate(self, conn: psycopg.Connection, synced: bool) -> None:
        """One automation pass for the team when one is due (or a sync just brought posts)."""
        if self.automations is None:
            return
        now = self.clock()
        last = self._automated_at
        if not synced and last is not None and now - last < self.automations_every:
            return
        self._automated_at = now
        try:
            report = run_for_team(conn, self.automations(), now, self.holder)
        except Exception as exc:
            if conn.closed or conn.broken:
                raise  # the work connection is gone: the loop reconnects
            self.say(f"hub {self.holder}: automations: {type(exc).__name__}: {exc}")
            return
        if summary := report.summary():
            self.say(f"hub {self.holder}: {summary}")

    def _take_up(self, conn: psycopg.Connection, source: Source, lease: Lease) -> _Led:
        ledger = HubLedger(conn, lease, self.reconcile_delay)
        delivery = Delivery(ledger, self.resolve, self.clock)
        recovered = delivery.recover()
        if recovered:
            self.say(f"{source.name}: {recovered} interrupted sends to check on the network")
        return _Led(lease, delivery, Publisher(conn, self.store, source, lease, self.clock))

    def _publish_account(self, conn: psycopg.Connection, source: Source, lease: Lease) -> None:
        """Tell the desks what this sync learnt of the account: its server's limits, refused credentials."""
        from socialdesk.store.account_auth import auth_marks
        from socialdesk.team import accounts

        mark = auth_marks(self.store.conn).get(source.name)
        limits = self.store.limits(source.name)
        refused, at = (mark.message, mark.at) if mark else ("", None)
        if accounts.publish(conn, lease, source.network, limits, refused, at) and mark:
            self.say(f"{source.name}: the network refuses its credentials ({refused}): desks are told")

    def _sync(self, source: Source, state: _Led) -> None:
        state.publisher.seed()
        state.publisher.published = Published()
        report = sync_source(self.store, source, self.triage, on_page=state.publisher)
        line = (
            f"{source.name}: {report.state} · {state.publisher.published.inserted} new in the team database"
        )
        self.say(line + (f" · {report.message}" if report.message else ""))
