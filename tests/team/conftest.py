"""Fixtures of the team tests: a relay in front of the test PostgreSQL, to take it away and back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.team.relay import Relay, relay_for


@pytest.fixture
def relay(team_db: str) -> Iterator[Relay]:
    """A started relay to the team database's server (stopped at the end)."""
    relay = relay_for(team_db)
    relay.start()
    yield relay
    relay.stop()
