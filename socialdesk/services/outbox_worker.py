"""Runs the outbox (recover after a crash, then send due replies until stopped) and finds its connectors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from socialdesk.connectors.base import Connector
from socialdesk.errors import UserError
from socialdesk.services.outbox import ConnectorResolver, Outbox, OutboxEvent

if TYPE_CHECKING:
    from socialdesk.context import Context

IDLE_POLL = 1.0  # seconds between looks at the outbox when nothing is due (new replies may arrive)


def run(
    outbox: Outbox,
    stop: threading.Event,
    on_events: Callable[[list[OutboxEvent]], None] | None = None,
    poll: float = IDLE_POLL,
) -> None:
    """Recover interrupted sends, then process due replies until `stop` is set.

    Args:
        outbox: the outbox to run.
        stop: set it to end the loop (checked between sends and while sleeping).
        on_events: called with each batch of state changes (the app posts ReplySent/ReplyFailed).
        poll: the longest sleep between rounds.
    """
    outbox.recover()
    while not stop.is_set():
        events = outbox.process_due()
        if events and on_events is not None:
            on_events(events)
        due = outbox.next_due()
        wait = poll if due is None else min(poll, max(0.0, due - outbox.clock()))
        stop.wait(max(wait, 0.05))


def resolver_for(ctx: Context) -> ConnectorResolver:
    """How the outbox finds the connector that sends for an account of this workspace.

    The demo workspace's replies (its account "demo") go through one demo connector, as do those of
    a configured demo-network account; any other account is built from its [[accounts]] table (by
    the accounts service, which fetches its secret). A real account's reply never goes to the demo
    connector, even on a desk that believes it is the demo.
    """
    demo: dict[str, Connector] = {}

    def resolve(network: str, account: str) -> Connector:
        if network == "demo" or (ctx.demo and account == "demo"):
            from socialdesk.connectors.demo import DemoConnector

            return demo.setdefault(account, DemoConnector(account=account or "demo"))
        for settings in ctx.settings.accounts:
            if settings.name == account:
                from socialdesk.services.accounts import build_connector

                return build_connector(settings, ctx.settings.source)
        raise UserError(f"no configured account {account!r} for {network} (see [[accounts]] in config)")

    return resolve
