"""Imports twitter-text without setuptools' pkg_resources, which it uses only to read one data file."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

_lock = threading.Lock()


def _resource_string(module: str, name: str) -> bytes:
    """pkg_resources.resource_string for a file beside a module's own file."""
    return Path(str(sys.modules[module].__file__)).with_name(name).read_bytes()


def load() -> None:
    """Import the twitter_text package (once), with a stand-in for pkg_resources while it imports.

    twitter-text-parser's emoji module imports pkg_resources for one call, `resource_string`, to read
    its emoji-test.txt; importing pkg_resources scans every installed distribution and keeps what it
    found for the life of the process, the largest part of what twitter-text cost the desk in memory
    (README, "Performance"). The stand-in is in `sys.modules` only while twitter_text imports, so a
    later `import pkg_resources` anywhere gets the real module; where that is already imported, it
    is used as it is.
    """
    if "twitter_text" in sys.modules:
        return
    with _lock:
        stand_in = None
        if "pkg_resources" not in sys.modules:
            stand_in = types.ModuleType("pkg_resources", "twitter-text's one use of pkg_resources")
            stand_in.resource_string = _resource_string  # type: ignore[attr-defined]
            sys.modules["pkg_resources"] = stand_in
        try:
            import twitter_text  # noqa: F401 - imported for what it puts in sys.modules
        finally:
            if stand_in is not None and sys.modules.get("pkg_resources") is stand_in:
                del sys.modules["pkg_resources"]
