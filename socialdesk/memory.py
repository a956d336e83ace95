"""The memory policy of the long-running desk: start-up objects frozen, drawn lines freed, few arenas."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.strip import Strip


@contextmanager
def collection_paused_until_first_page() -> Iterator[None]:
    """Run the desk with the cyclic collector off until `freeze_startup_objects` turns it back on.

    Start-up allocates over 100,000 objects (imports, widgets, styles) and almost none of them become
    garbage, yet the collector walked them 130 times before the first frame, once in full: 36 ms of
    a 245 ms start on the benchmark machine (11 ms for the minimal Textual app). Reference counting
    frees everything else meanwhile. Should the desk end before its first page, collection is back
    on when the block ends.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, widgets, styles, lexicons) out of the collector's reach.

    CPython's full collections walk every tracked object; with the desk's ~90,000 start-up objects
    one took 40-80 ms on the benchmark machine, landing on random key presses. Frozen objects are
    skipped, so later ones walk only what the desk allocated since. Called when the first page is
    painted, and again when the lazy imports are done (freezing is cheap: no object is visited). No
    collection first: it would take those same 40-80 ms while the agent may already be typing; the
    start-up garbage it would free is a few hundred KiB, kept once. Turns collection back on, if
    the desk was started in `collection_paused_until_first_page`.
    """
    gc.freeze()
    gc.enable()


MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Have glibc's malloc share `arenas` arenas between all threads (returns whether it took effect).

    glibc gives each thread that allocates while another holds an arena an arena of its own, up to
    eight per core. The desk's threads (Textual's thread workers, sync, outbox, pattern lookups) each
    keep a SQLite connection whose page cache is malloc'd there, and memory freed in one arena is
    reused only by that arena: over a compressed shift the desk's RSS grew 5.9-6.2% in three minutes
    after its warm-up, and 2.1-4.0% with two arenas (`socialdesk bench --soak`). Elsewhere (musl,
    macOS) there is no such call and nothing changes. Must run before the threads start.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


SQLITE_PAGE_CACHES_MIB = 8


def limit_sqlite_page_caches(mib: int = SQLITE_PAGE_CACHES_MIB) -> None:
    """Have SQLite keep all of this process's page caches together within about `mib` MiB.

    Each thread's connection may cache 2 MB of pages (store/db.py), and the desk's threads take
    turns: over a shift one pool thread after another filled its cache, so SQLite's memory kept
    rising long after the warm-up (README, "Soak"). SQLite's soft heap limit is process-wide: near
    it, the page caches recycle their oldest pages instead of growing.
    The file stays in the operating system's page cache, so a page read again costs a copy, not a
    disk read.
    """
    import sqlite3

    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"PRAGMA soft_heap_limit = {mib * 1024 * 1024}")
    finally:
        conn.close()


def free_drawn_lines_promptly() -> None:
    """Stop Textual's `Strip.divide` from caching a line inside itself, so drawn lines die young.

    Textual's compositor divides every line of every frame at the edges of the widgets on it. A
    line that needs no cut comes back as `[self]`, stored in the line's own divide cache: a
    reference cycle (Textual 8.2.8, and its main branch today). So no drawn line, with its seven
    caches and its segments, was freed when the next frame replaced it; all of them waited for the
    cyclic collector. On the benchmark cache that was 75,000 objects per 50 key presses, and full
    collections of 10-46 ms landing on key presses (2-7 ms without the cycles).

    This wraps `Strip.divide` to return that one case uncached; every other call goes to Textual's
    own method, so results are the same. `tests/ui/test_memory.py` checks that, and says when
    Textual no longer makes the cycle (then this can go).
    """
    from textual.strip import Strip

    divide = Strip.divide
    if getattr(divide, "frees_lines", False):
        return

    @wraps(divide)
    def divide_without_cycle(strip: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        cuts = [cut for cut in cuts if cut <= strip.cell_length]
        if cuts == [strip.cell_length]:
            return [strip]
        return divide(strip, cuts)

    divide_without_cycle.frees_lines = True  # type: ignore[attr-defined]
    Strip.divide = divide_without_cycle  # type: ignore[method-assign,assignment]
