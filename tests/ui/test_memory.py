"""The desk's garbage-collector policy: drawn lines are freed when dropped, not by the cyclic collector."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from socialdesk.memory import free_drawn_lines_promptly

Divide = Callable[[Strip, list[int]], Sequence[Strip]]


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def line(i: int) -> Strip:
    return Strip([Segment(f"row {i:04} ", Style(bold=True)), Segment("text of the post", None)])


def garbage_left_by(divide: Divide) -> int:
    """Lines only the cyclic collector could free after drawing and dropping 200 whole lines.

    Only Strips are counted: another test's thread still winding down may leave garbage of its own
    while the collector is off (35 objects once, in a full run), which says nothing about `divide`.
    """
    for i in range(200):
        strip = line(i)
        divide(strip, [strip.cell_length])
    del strip  # the last one too
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sum(isinstance(found, Strip) for found in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_the_patched_divide_cuts_exactly_as_textual_does() -> None:
    free_drawn_lines_promptly()
    original: Divide = Strip.divide.__wrapped__  # type: ignore[attr-defined]
    strip = line(7)
    for cuts in ([strip.cell_length], [4, strip.cell_length], [3, 9, 12], [strip.cell_length + 5], []):
        expected = [s._segments for s in original(line(7), cuts)]
        assert [s._segments for s in Strip.divide(strip, iter(cuts))] == expected


def test_whole_lines_are_freed_without_the_cyclic_collector(no_automatic_collection: None) -> None:
    free_drawn_lines_promptly()
    free_drawn_lines_promptly()  # installing twice wraps once
    assert not hasattr(Strip.divide.__wrapped__, "__wrapped__")  # type: ignore[attr-defined]
    assert garbage_left_by(Strip.divide) == 0


def test_textual_still_caches_a_whole_line_in_itself(no_automatic_collection: None) -> None:
    """When this fails, Textual has fixed the cycle: `free_drawn_lines_promptly` can go."""
    free_drawn_lines_promptly()
    original: Divide = Strip.divide.__wrapped__  # type: ignore[attr-defined]
    assert garbage_left_by(original) >= 200
