"""What each network is (counting rule, limit, glyph, name, mentions): declared by its connector.

The facts of a network belong to its connector class (`Connector.capabilities`, `glyph`,
`display_name`); the registry records them here when it loads a connector, so `compose` and the
desk can ask by network name without importing connector modules. The desk draws its first frame
before any connector is imported, so the built-in connectors' facts are also kept in `BUILT_IN`
(a test checks they equal the classes'); a loaded connector's own facts always win, and a network
nobody declared counts plain characters with a neutral glyph.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from msgspec.structs import replace

COUNTING_RULES = ("x-weighted", "graphemes", "mastodon", "chars")
MONITORING_KINDS = ("mentions", "search", "hashtags", "dm", "feed", "import")


class Capabilities(msgspec.Struct, frozen=True):
    """What a connector can do, declared as a class attribute.

    Attributes:
        max_length: the network's reply length limit in its own counting rule (0: compose's default).
        counting: how the network counts length: one of COUNTING_RULES.
        can_reply: public replies can be sent.
        can_dm: direct/private messages can be sent.
        monitoring: kinds of inbound streams the connector reads (see MONITORING_KINDS).
        max_bytes: a byte cap on top of the counting rule (Bluesky: 3000), 0 when none.
        reply_mentions: a public reply must start with "@handle " of whom it answers (X, Mastodon);
            False where replies are threaded by reference alone (Bluesky).
        embedded: the network lives in this process (the demo): its connector needs no settings or
            secret, so the desk builds one for any account; a desk without accounts opens its
            workspace, whose account is named after the network.
    """

    max_length: int = 0
    counting: str = "chars"
    can_reply: bool = False
    can_dm: bool = False
    monitoring: frozenset[str] = frozenset({"mentions"})
    max_bytes: int = 0
    reply_mentions: bool = False
    embedded: bool = False


class NetworkFacts(msgspec.Struct, frozen=True):
    """A network as the desk shows it and compose counts it."""

    name: str
    display_name: str
    glyph: str  # one narrow character, so feed columns line up in every terminal font
    capabilities: Capabilities


_X = Capabilities(
    max_length=280,
    counting="x-weighted",
    can_reply=True,
    can_dm=True,
    monitoring=frozenset({"mentions", "dm", "search"}),
    reply_mentions=True,
)
# The built-in connectors' declarations, for the desk's first frame (before connectors load).
BUILT_IN: dict[str, NetworkFacts] = {
    facts.name: facts
    for facts in (
        NetworkFacts("x", "X", "X", _X),
        NetworkFacts(
            "mastodon",
            "Mastodon",
            "M",
            Capabilities(
                max_length=500,
                counting="mastodon",
                can_reply=True,
                can_dm=True,
                monitoring=frozenset({"mentions", "dm", "hashtags", "search"}),
                reply_mentions=True,
            ),
        ),
        NetworkFacts(
            "bluesky",
            "Bluesky",
            "B",
            Capabilities(
                max_length=300,
                counting="graphemes",
                max_bytes=3000,
                can_reply=True,
                can_dm=True,
                monitoring=frozenset({"mentions", "search", "dm"}),
            ),
        ),
        NetworkFacts(
            "demo",
            "Demo network",
            "◆",
            replace(_X, monitoring=frozenset({"mentions", "search", "dm"}), embedded=True),
        ),
        NetworkFacts("feeds", "Feeds", "F", Capabilities(monitoring=frozenset({"feed"}))),
        NetworkFacts("jsonl", "JSONL file", "J", Capabilities(monitoring=frozenset({"import"}))),
    )
}
# Names posts may carry that are no connector's: an old spelling, and imported review sites.
_ALIASES = {"twitter": "x"}
_IMPORTED = {"reddit": ("Reddit", "R"), "reviews": ("Reviews", "★")}

_loaded: dict[str, NetworkFacts] = {}


def register(facts: NetworkFacts) -> None:
    """Record a loaded connector's facts (they replace the built-in table's for its network)."""
    _loaded[facts.name] = facts


def declared(network: str) -> NetworkFacts | None:
    """The facts a connector declared for `network` (loaded, else built-in); None when none did."""
    key = network.strip().lower()
    key = _ALIASES.get(key, key)
    return _loaded.get(key) or BUILT_IN.get(key)


def facts(network: str) -> NetworkFacts:
    """What is known about `network`: its connector's declaration, else a plain-character network
    shown by its own name."""
    found = declared(network)
    if found is not None:
        return found
    key = network.strip().lower()
    name, glyph = _IMPORTED.get(key, (network, "·"))
    return NetworkFacts(key, name, glyph, Capabilities())


def embedded_network() -> str:
    """The network that lives in this process (the demo's): its name is also its workspace's account."""
    known = {**BUILT_IN, **_loaded}
    return next(name for name, found in known.items() if found.capabilities.embedded)


def is_embedded(network: str) -> bool:
    """Whether `network` lives in this process (see `Capabilities.embedded`)."""
    found = declared(network)
    return found is not None and found.capabilities.embedded


def network_names() -> set[str]:
    """Every network name a connector declared (built in or loaded), with aliases and imported ones."""
    return {*BUILT_IN, *_loaded, *_ALIASES, *_IMPORTED}


def glyphs() -> dict[str, str]:
    """Glyph per known network name, for widgets that draw one per row (a dict lookup each)."""
    return {name: value.glyph for name, value in labels().networks.items()}


class NetworkLabels(msgspec.Struct, frozen=True):
    """How the desk shows each network (glyph, display name), as a screen hands it to its widgets.

    Widgets never look a network up themselves: they are given this, and a network it does not
    know is shown by its own name with a neutral glyph.
    """

    networks: Mapping[str, NetworkFacts] = msgspec.field(default_factory=dict)

    def glyph(self, network: str) -> str:
        """One narrow character for the network."""
        known = self.networks.get(network)
        return known.glyph if known is not None else "·"

    def name(self, network: str) -> str:
        """The network's display name ("Mastodon"), or its own name when nobody declared one."""
        known = self.networks.get(network)
        return known.display_name if known is not None else network


def labels() -> NetworkLabels:
    """Every network known now: the built-in table, the connectors loaded so far, imported sites."""
    known = {**BUILT_IN, **_loaded}
    for key, (name, glyph) in _IMPORTED.items():
        known.setdefault(key, NetworkFacts(key, name, glyph, Capabilities()))
    for alias, target in _ALIASES.items():
        known.setdefault(alias, known[target])
    return NetworkLabels(known)
