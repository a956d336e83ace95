"""Runs delivery (recover after a crash, then send due replies until stopped) and finds the connectors."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from socialdesk.capabilities import is_embedded
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

    A configured account is built from its [[accounts]] table (by the accounts service, which
    fetches its secret). A network that lives in this process (`Capabilities.embedded`, the demo)
    sends for any account through one connector per account, as does, on a desk opened without
    accounts, the embedded network's own workspace account (named after it), whichever network its
    posts play. A real account's reply never goes to an embedded connector, even on a desk that
    believes it is the demo.
    """
    embedded: dict[str, Connector] = {}

    def resolve(network: str, account: str) -> Connector:
        for settings in ctx.settings.accounts:
            if settings.name == account:
                from socialdesk.services.accounts import build_connector

                return build_connector(settings, ctx.settings.source)
        if is_embedded(network):
            name = network
        elif ctx.demo and is_embedded(account):
            name = account  # the embedded network's workspace, its posts filed as x, mastodon ...
        else:
            raise UserError(f"no configured account {account!r} for {network} (see [[accounts]] in config)")
        if account not in embedded:
            from socialdesk.connectors.registry import load_connector

            embedded[account] = load_connector(name)(account=account)
        return embedded[account]

    return resolve
