"""Fixtures shared by the connector tests: fast retries, a loopback server, a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialdesk.connectors import http as connector_http
from socialdesk.testing import Loopback


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without sleeping, so failure paths stay fast."""
    monkeypatch.setattr(
        connector_http, "POLICY", connector_http.RetryPolicy(base_delay=0.0, sleep=lambda s: None)
    )


@pytest.fixture
def loopback_server(fast_retries: None) -> Iterator[Loopback]:
    """A started loopback server."""
    with Loopback() as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Config, data and secrets go to a temporary directory; never the keyring of the machine."""
    monkeypatch.setenv("SOCIALDESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SOCIALDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SOCIALDESK_SECRETS", "file")
