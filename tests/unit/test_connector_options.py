"""A connector reads its settings through typed accessors: a wrong value is a ConfigError naming it."""

from __future__ import annotations

import pytest

from socialdesk.connectors.base import ConfigError
from socialdesk.connectors.demo import DemoConnector
from socialdesk.connectors.mastodon import MastodonConnector


def test_a_setting_that_is_no_number_is_named_in_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'acme': page_size must be a number, got 'lots'"):
        MastodonConnector("acme", {"base_url": "https://m.example", "page_size": "lots"})
    with pytest.raises(ConfigError, match="'demo': seed must be a number"):
        DemoConnector("demo", {"seed": [7]})


def test_numbers_and_lists_are_read_as_declared() -> None:
    connector = MastodonConnector(
        "acme", {"base_url": "https://m.example", "page_size": 0, "hashtags": ["#acme", "help"]}
    )
    assert connector.page_size == 40  # 0: the server's default page
    assert connector.int_option("missing", 3) == 3 and connector.list_option("hashtags") == ["#acme", "help"]
    assert connector.list_option("base_url") == []  # not a list: no entries, never its characters
    assert DemoConnector("demo", {"seed": 5, "interval": 2}).interval == 2.0
