"""How often the desk lets Textual draw: set when the desk starts, never as a side effect of an import."""

from __future__ import annotations

import os

# Textual paces frames on a grid of 1/TEXTUAL_FPS, and after a frame that overran its period skips one
# tick more than it needs to, so a key pressed just after a frame waits up to two periods. Frames are
# drawn only when something changed, so a high cap costs nothing while the desk is idle and a key's
# frame starts at once (the README's Performance section has the figures).
DESK_FPS = 1000


def pace_frames() -> None:
    """Let the desk draw up to DESK_FPS frames a second, unless the user set TEXTUAL_FPS.

    Textual reads TEXTUAL_FPS once, when imported, into `constants.MAX_FPS` and the screen's update
    period; both are read again when a screen starts its update timer, so setting them here works
    whether or not Textual was imported before (a plugin or a test may have imported it).
    """
    if os.environ.get("TEXTUAL_FPS"):
        return
    from textual import constants, screen

    setattr(constants, "MAX_FPS", DESK_FPS)  # noqa: B010 - Final in Textual, overridden on purpose
    setattr(screen, "UPDATE_PERIOD", 1 / DESK_FPS)  # noqa: B010
