"""Fault switches the network fakes share: what the next creating request does (the exactly-once suite).

Each fake keeps a `script` (a deque of these names, the same as tests/outbox/fake_mastodon.py's);
every request that creates a post or a message takes the next one (none left: OK).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from socialdesk.testing import Reply

OK = "ok"
DROP_AFTER_CREATE = "drop_after_create"  # created, then the connection drops (no answer)
DROP_BEFORE_CREATE = "drop_before_create"  # connection drops, nothing created
ERROR_AFTER_CREATE = "502_after_create"  # created, then a 502 from a proxy
ERROR_BEFORE_CREATE = "503_before_create"  # 503, nothing created
RATE_LIMITED = "429"  # refused for now, nothing created
FAULTS = (DROP_AFTER_CREATE, DROP_BEFORE_CREATE, ERROR_AFTER_CREATE, ERROR_BEFORE_CREATE, RATE_LIMITED)


def scripted(script: deque[str], create: Callable[[], Reply], limited: Reply) -> Reply:
    """Run `create` (which makes the post and returns the network's answer) under the next fault.

    Args:
        script: the fake's queue of faults.
        create: makes the post on the fake's server and returns its normal answer.
        limited: the network's own 429 answer (with its rate-limit headers).
    """
    step = script.popleft() if script else OK
    if step == RATE_LIMITED:
        return limited
    if step == ERROR_BEFORE_CREATE:
        return Reply(503, "<html>Service Unavailable</html>")
    if step == DROP_BEFORE_CREATE:
        return Reply(drop=True)
    answer = create()
    if answer.status >= 400:
        return answer  # refused: nothing was created
    if step == DROP_AFTER_CREATE:
        return Reply(drop=True)
    if step == ERROR_AFTER_CREATE:
        return Reply(502, "<html>Bad Gateway</html>")
    return answer
