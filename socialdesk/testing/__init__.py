"""A connector contract test kit: a loopback HTTP server and the tests every connector must pass."""

import pytest

pytest.register_assert_rewrite("socialdesk.testing.contract")

from socialdesk.testing.contract import SECRET, ConnectorContract, sync  # noqa: E402
from socialdesk.testing.loopback import Loopback, Reply, Request  # noqa: E402

__all__ = ["SECRET", "ConnectorContract", "Loopback", "Reply", "Request", "sync"]
