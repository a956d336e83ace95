"""Prints the hostile-input tally (cases tried, tracebacks, items lost, attacker bytes printed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from socialdesk.connectors import http as connector_http
from socialdesk.testing import Loopback
from tests.hostile.tally import TALLY


@pytest.fixture
def loopback_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    """A started loopback server; retries without sleeping."""
    monkeypatch.setattr(
        connector_http, "POLICY", connector_http.RetryPolicy(base_delay=0.0, sleep=lambda s: None)
    )
    with Loopback() as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY.cases:
        terminalreporter.write_line(
            f"hostile input: {TALLY.cases} cases tried · {TALLY.tracebacks} tracebacks · "
            f"{TALLY.lost} items lost beside a bad one · {TALLY.attacker_bytes} attacker bytes printed"
        )
