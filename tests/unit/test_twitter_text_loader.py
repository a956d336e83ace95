"""twitter-text is imported without pkg_resources, and counts as it does with it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from socialdesk import compose, x_count
compose.warm_up()
assert "twitter_text" in sys.modules
print("pkg_resources" in sys.modules)
text = "Sorry! 😀 see https://example.com/help 👩🏽‍💻 #1️⃣ café"
print(x_count.length(text) == x_count.reference_length(text))
"""


def test_warming_the_counter_does_not_import_pkg_resources() -> None:
    """pkg_resources scans every installed distribution and keeps it all: twitter-text reads one file."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_the_emoji_data_is_read_as_pkg_resources_reads_it() -> None:
    from twitter_text.regexp import emoji

    from socialdesk import twitter_text_loader

    twitter_text_loader.load()
    raw = twitter_text_loader._resource_string(emoji.__name__, "emoji-test.txt").decode("utf-8")
    assert raw == emoji.emoji_raw
