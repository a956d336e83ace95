"""The garbage-collector policy of the long-running desk: start-up objects are frozen out of it."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, widgets, styles, lexicons) out of the collector's reach.

    CPython's full collections walk every tracked object; with the desk's ~90,000 start-up objects
    one took 40-80 ms on the benchmark machine, landing on random key presses. Frozen objects are
    skipped, so later ones walk only what the desk allocated since (5-20 ms here). Called once,
    after the first page is painted and the lazy imports are done. No collection first: it would take
    those same 40-80 ms while the agent may already be typing; the start-up garbage it would free is a
    few hundred KiB, kept once.
    """
    gc.freeze()
