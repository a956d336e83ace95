"""First-character screens for regular expressions: a lookahead that lets a search pass over positions
where no match can begin, without changing any match."""

from __future__ import annotations

import importlib
import re
from typing import Any

# CPython's own regular-expression parser and its opcodes (typeshed does not describe them).
sre_parse: Any = importlib.import_module("re._parser")
sre: Any = importlib.import_module("re._constants")

# The classes a character set may hold, as written inside [...] (same meaning under the same flags).
_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _sequence(items: Any) -> tuple[set[str], bool] | None:
    """The first characters of a parsed sequence (as members of a [...] class), and whether it can
    match the empty string; None when unknown."""
    found: set[str] = set()
    for op, av in items:
        if op is sre.AT:  # \b, ^, $: zero-width, the next item supplies the character
            continue
        first = _item(op, av)
        if first is None:
            return None
        found |= first[0]
        if not first[1]:
            return found, False
    return found, True


def _item(op: Any, av: Any) -> tuple[set[str], bool] | None:
    """The first characters of one parsed item, and whether it can match empty; None: unknown."""
    if op is sre.LITERAL:
        return {re.escape(chr(av))}, False
    if op is sre.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is sre.LITERAL:
                chars.add(re.escape(chr(value)))
            elif kind is sre.RANGE:
                chars.add(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
            elif kind is sre.CATEGORY and value in _CATEGORIES:
                chars.add(_CATEGORIES[value])
            else:  # a negated set: it cannot join a class of the others
                return None
        return chars, False
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _sequence(sub)
    if op is sre.ATOMIC_GROUP:
        return _sequence(av)
    if op is sre.BRANCH:
        found: set[str] = set()
        empty = False
        for branch in av[1]:
            first = _sequence(branch)
            if first is None:
                return None
            found |= first[0]
            empty = empty or first[1]
        return found, empty
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, sub = av
        first = _sequence(sub)
        return None if first is None else (first[0], first[1] or low == 0)
    return None  # any character, a category, a lookaround, a backreference: unknown


def first_chars(pattern: str) -> str | None:
    """A character class holding every character a match of `pattern` can begin with; None when
    that is not known (the pattern can match empty, begins with any character, a negated set or a
    lookaround, or changes the case flags)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    first = _sequence(parsed.data)
    if first is None or first[1] or not first[0]:
        return None
    return "[" + "".join(sorted(first[0])) + "]"


def screened(pattern: str) -> str:
    """`pattern` behind a lookahead for its first characters: the same matches, found sooner.

    Python's matcher tries every alternative of a long alternation at every position of the text;
    the lookahead turns most positions away with one set test. Where the pattern begins with a word
    boundary, the boundary is tested first (cheaper still, and the same positions pass).
    """
    chars = first_chars(pattern)
    if chars is None:
        return pattern
    screen = f"(?={chars})"
    parsed = sre_parse.parse(pattern)
    if parsed.data and parsed.data[0] == (sre.AT, sre.AT_BOUNDARY):
        return rf"\b{screen}(?:{pattern})"  # every match begins at a boundary: the first \b is the same
    return f"{screen}(?:{pattern})"
