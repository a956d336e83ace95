"""socialdesk: customer service on social media from a terminal queue."""

import os

__version__ = "0.1.0"

# Textual paces screen updates at 60 frames a second unless told otherwise, so a key press can wait up
# to 16.7 ms for its frame before any drawing starts. The desk draws a key's frame in a few ms and asks
# for 120. Textual reads this once, when first imported: hence here, before any module of ours imports
# it. A TEXTUAL_FPS the user set still wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
