"""Connector discovery through entry points."""

from __future__ import annotations

import sys

import pytest

from socialdesk.connectors.base import Connector
from socialdesk.connectors.registry import UnknownConnector, list_connectors, load_connector


def test_listing_imports_no_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        m for m in sys.modules if m.startswith("socialdesk.connectors.") and m != "socialdesk.connectors.base"
    ]:
        if name != "socialdesk.connectors.registry":
            monkeypatch.delitem(sys.modules, name)
    names = [c.name for c in list_connectors()]
    assert "demo" in names
    assert "socialdesk.connectors.demo" not in sys.modules


def test_builtin_demo_registers_through_entry_points() -> None:
    info = {c.name: c for c in list_connectors()}["demo"]
    assert info.target == "socialdesk.connectors.demo:DemoConnector"
    cls = load_connector("demo")
    assert issubclass(cls, Connector) and cls.capabilities.can_reply


def test_unknown_connector_lists_the_installed_ones() -> None:
    with pytest.raises(UnknownConnector) as err:
        load_connector("myspace")
    assert "'myspace'" in str(err.value) and "demo" in str(err.value)
