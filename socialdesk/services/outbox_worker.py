"""Runs delivery (recover after a crash, then send due replies until stopped) and finds the connectors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from socialdesk.errors import UserError

if TYPE_CHECKING:  # the desk builds its resolver at start-up: the connectors' code loads on first send
    from socialdesk.connectors.base import Connector
    from socialdesk.context import Context
    from socialdesk.services.delivery import ConnectorResolver, Delivery, OutboxEvent

IDLE_POLL = 1.0  # seconds between looks at the outbox when nothing is due (new replies may arrive)


def run(
    delivery: Delivery,
    stop: threading.Event,
    on_events: Callable[[list[OutboxEvent]], None] | None = None,
    poll: float = IDLE_POLL,
) -> None:
    """Recover interrupted sends, then process due replies until `stop` is set.

    Args:
        delivery: the outbox's delivery.
        stop: set it to end the loop (checked between sends and while sleeping).
        on_events: called with each batch of state changes (the app posts ReplySent/ReplyFailed).
        poll: the longest sleep between rounds.
    """
    delivery.recover()
    while not stop.is_set():
        events = delivery.process_due()
        if events and on_events is not None:
            on_events(events)
        due = delivery.next_due()
        wait = poll if due is None else min(poll, max(0.0, due - delivery.clock()))
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
