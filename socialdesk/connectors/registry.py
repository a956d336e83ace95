"""Discovers connectors through the `socialdesk.connectors` entry-point group.

Listing reads only package metadata, so it imports no connector; loading imports one and records
its network facts (`socialdesk.capabilities`) for compose and the desk.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

import msgspec

from socialdesk import capabilities
from socialdesk.connectors.base import Connector

GROUP = "socialdesk.connectors"


class UnknownConnector(LookupError):
    """No installed connector has that name."""


class ConnectorInfo(msgspec.Struct, frozen=True):
    """A connector as its entry point names it (nothing imported)."""

    name: str
    target: str  # "module:Class"
    distribution: str


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def list_connectors() -> list[ConnectorInfo]:
    """Every installed connector, sorted by name, without importing any of them."""
    found = []
    for name, ep in sorted(_entry_points().items()):
        dist = ep.dist.name if ep.dist is not None else "?"
        found.append(ConnectorInfo(name=name, target=ep.value, distribution=dist))
    return found


def load_connector(name: str) -> type[Connector]:
    """Import and return the connector class registered as `name`.

    Raises:
        UnknownConnector: with a message listing the installed connectors.
    """
    eps = _entry_points()
    if name not in eps:
        installed = ", ".join(sorted(eps)) or "none"
        raise UnknownConnector(f"unknown connector {name!r}; installed connectors: {installed}")
    cls = eps[name].load()
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise UnknownConnector(f"connector {name!r} ({eps[name].value}) is not a socialdesk Connector")
    capabilities.register(cls.facts())
    return cls
