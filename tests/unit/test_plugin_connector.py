"""A connector from another package brings its own counting, glyph, mentions and resend rule.

`Parrot` exists only in this module: no code in socialdesk names it. It is installed the way a
plug-in is, through an entry point of the `socialdesk.connectors` group (faked here).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from socialdesk import capabilities, compose
from socialdesk.config import Settings
from socialdesk.connectors import registry
from socialdesk.connectors.base import (
    CannotTell,
    Capabilities,
    Connector,
    FetchResult,
    OutgoingReply,
    SendResult,
    SendUncertain,
)
from socialdesk.context import Context
from socialdesk.errors import UserError
from socialdesk.launcher import make_app
from socialdesk.services.outbox import Outbox
from socialdesk.services.outbox_worker import resolver_for
from socialdesk.store.queries import thread
from socialdesk.widgets.composer import Composer
from socialdesk.widgets.customer_pane import CustomerPane
from socialdesk.widgets.thread_view import ThreadView
from tests.outbox.helpers import Clock, make_store, post_id
from tests.ui.lines import drawn_lines
from tests.ui.waiting import settle


class Parrot(Connector):
    """A network that counts graphemes up to 40 (and 60 bytes), wants @mentions, and whose server
    recognises a repeated idempotency key although sent replies cannot be looked up."""

    name = "parrot"
    display_name = "Parrot"
    glyph = "P"
    capabilities = Capabilities(
        max_length=40, counting="graphemes", max_bytes=60, can_reply=True, reply_mentions=True
    )

    def __init__(self, account: str = "", settings: dict[str, str] | None = None) -> None:
        super().__init__(account, settings or {"handle": "squawk_support"})
        self.sent: dict[str, OutgoingReply] = {}  # by idempotency key, as the server dedupes
        self.attempts = 0

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], None)

    def send(self, reply: OutgoingReply) -> SendResult:
        self.attempts += 1
        self.sent.setdefault(reply.idempotency_key, reply)
        if self.attempts == 1:
            raise SendUncertain("read timeout after sending")
        return SendResult(native_id=f"p{len(self.sent)}")

    def find_sent(self, reply: OutgoingReply) -> SendResult | None:
        raise CannotTell("parrot cannot list sent replies")

    def resend_is_harmless(self, reply: OutgoingReply, age: float) -> bool:
        return True


class Aviary(Connector):
    """A network that lives in this process (like the demo): no settings, no secret, any account."""

    name = "aviary"
    glyph = "A"
    capabilities = Capabilities(can_reply=True, embedded=True)

    def fetch(self, cursor: str | None) -> FetchResult:
        return FetchResult([], None)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parrot and Aviary installed through entry points, as `pip install socialdesk-parrot` would."""
    points = {
        name: EntryPoint(name=name, value=f"{__name__}:{cls}", group=registry.GROUP)
        for name, cls in (("parrot", "Parrot"), ("aviary", "Aviary"))
    }
    real = registry._entry_points
    monkeypatch.setattr(registry, "_entry_points", lambda: {**real(), **points})
    monkeypatch.setattr(capabilities, "_loaded", {})  # what this test loads is forgotten after it


def test_a_plugin_network_counts_shows_and_mentions_as_its_connector_declares(installed: None) -> None:
    assert registry.load_connector("parrot") is Parrot
    assert compose.limit("parrot") == 40
    assert compose.check("👍🏽" * 40, "parrot").count == 40  # graphemes, not code points
    assert compose.check("a" * 41, "parrot").over
    assert compose.check("é" * 31, "parrot").over  # 31 clusters, but 62 bytes
    assert compose.reply_prefix("parrot", ["@Bob", "squawk_support"], own=("squawk_support",)) == "@Bob "
    assert capabilities.facts("parrot").display_name == "Parrot"
    assert capabilities.glyphs()["parrot"] == "P"
    # compose takes the capabilities themselves just as well as the network's name
    assert compose.check("👍🏽" * 41, Parrot.capabilities).over


def test_an_unknown_network_counts_plain_characters_with_a_neutral_glyph() -> None:
    assert compose.limit("parrot") == compose.DEFAULT_LIMIT
    assert compose.reply_prefix("parrot", ["bob"]) == ""
    assert capabilities.facts("parrot").glyph == "·"


def test_the_outbox_follows_the_plugins_resend_rule_and_own_handle(installed: None, tmp_path: Path) -> None:
    store = make_store(tmp_path / "p.db", network="parrot")
    net = Parrot("support")
    clock = Clock()
    outbox = Outbox(store, lambda network, account: net, clock=clock, undo_seconds=0)
    (rid,) = outbox.enqueue(post_id(store, "100"), "@user0 on it", "ana")
    (first,) = outbox.delivery.process_due(clock.advance(1))
    assert first.state == "unknown"
    # It cannot look the reply up, but its server ignores a repeated key: resent, not held.
    outbox.delivery.process_due(clock.advance(31))
    row = outbox.get(rid)
    assert row is not None and row.state == "sent" and net.attempts == 2 and len(net.sent) == 1
    ours = [p for p in thread(store.conn, post_id(store, "100")).posts if p.is_ours]
    assert [p.author_handle for p in ours] == ["squawk_support"]  # its own handle, from the connector


def test_the_outbox_sends_for_an_embedded_plugin_network_by_its_declaration(
    installed: None, tmp_path: Path
) -> None:
    """No account table names it: the connector's `embedded` fact, not its name, lets it send."""
    registry.load_connector("aviary")
    ctx = Context(settings=Settings(), db_path=tmp_path / "a.db")
    resolve = resolver_for(ctx)
    connector = resolve("aviary", "front-desk")
    assert isinstance(connector, Aviary) and connector.account == "front-desk"
    assert resolve("aviary", "front-desk") is connector  # one per account
    with pytest.raises(UserError, match="no configured account"):
        resolve("parrot", "front-desk")  # a network that needs an account gets none invented
    ctx.demo = True  # a desk opened without accounts: the workspace account named after the network
    assert isinstance(resolve("x", "aviary"), Aviary)


def test_built_in_table_equals_what_the_built_in_connectors_declare() -> None:
    """The desk's first frame uses the table; the connectors are the truth, so they must agree."""
    for info in registry.list_connectors():
        if info.distribution == "socialdesk":
            cls = registry.load_connector(info.name)
            assert capabilities.BUILT_IN[cls.name] == cls.facts(), cls.name


async def test_the_desk_shows_a_plugin_networks_own_glyph_and_name(installed: None, tmp_path: Path) -> None:
    """Feed, thread, customer card and composer name the network as its connector declares it."""
    make_store(tmp_path / "p.db", network="parrot").close()
    registry.load_connector("parrot")  # as building the account's source does
    app = make_app(Context(settings=Settings(), db_path=tmp_path / "p.db"), sync=False, sources=[])
    async with app.run_test(size=(160, 40)) as pilot:
        thread_view = app.desk.query_one(ThreadView)
        await settle(pilot, until=lambda: thread_view.data is not None)
        first_row = drawn_lines(app.desk.feed)[0]
        assert first_row.split()[0] == "P", first_row
        assert any("· Parrot ·" in line for line in drawn_lines(thread_view))
        customer = app.desk.query_one(CustomerPane)
        assert any(line.strip().startswith("Parrot") for line in drawn_lines(customer))
        composer = app.desk.query_one(Composer)
        assert composer.network.display_name == "Parrot" and composer.measure().limit == 40
        assert "on Parrot" in str(app.desk.query_one("#composer-target").render())
