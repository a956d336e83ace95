"""socialdesk: customer service on social media from a terminal queue."""

import os

__version__ = "0.1.0"

# TEXTUAL_FPS caps how often Textual draws, and paces its frames on a grid of that period: a key
# pressed just after a frame waits up to a whole period for the next one, and up to two after a frame
# that overran it (Textual 8.2.8 skips one tick more than it needs to). Frames are only drawn when
# something changed, so a high cap costs nothing while the desk is idle and a key's frame starts
# within a millisecond or two instead of 8-16 ms (j/k p99 in `socialdesk bench`: 24 ms at 120, 9 ms
# here). Textual reads this once, when first imported: hence here, before any module of ours imports
# it. A TEXTUAL_FPS the user set still wins.
os.environ.setdefault("TEXTUAL_FPS", "1000")
