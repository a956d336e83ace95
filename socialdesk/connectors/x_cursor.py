"""The X connector's cursor as XFetch keeps it between syncs, checked when it is read back.

Top level: "w" the walks in progress (by stream key), "e" each stream's last error, "u" until when a
rate-limited stream waits, "r" how far back each first sync reached, "s" each search's newest id, and
"m" / "d" the newest mention and DM read. Anything else, or of another type, is dropped: a damaged
cursor restarts those streams instead of failing every sync.
"""

from __future__ import annotations

from typing import Any


def _table(value: object, kinds: type | tuple[type, ...]) -> dict[str, Any]:
    """A {key: value} table of the cursor, keeping the entries whose value is of `kinds`."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, kinds) and not isinstance(v, bool)}


_WALK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "n": (str, type(None)),  # the newest id seen
    "c": int,  # items read
    "from": (int, float),  # where a first sync reads back to
    "st": (int, float),  # the start_time a walk asks for
    "o": (int, float),  # the oldest post's time
    "t": str,  # the next page's token
    "done": bool,  # DMs: the walk reached the cursor
}


def _walk(value: object) -> dict[str, Any] | None:
    """A walk in progress as the cursor holds it, or None when it is not one this class wrote."""
    if not isinstance(value, dict) or "n" not in value or "c" not in value:
        return None
    for key, kinds in _WALK_FIELDS.items():
        found = value.get(key)
        if key in value and (not isinstance(found, kinds) or (isinstance(found, bool) and kinds is not bool)):
            return None
    return {k: v for k, v in value.items() if k in _WALK_FIELDS}


def checked_state(stored: dict[str, object]) -> dict[str, Any]:
    """The decoded cursor with only what this class writes, of the types it writes (see `XFetch.run`)."""
    walks = {k: w for k, raw in _table(stored.get("w"), dict).items() if (w := _walk(raw)) is not None}
    state: dict[str, Any] = {
        "w": walks,
        "e": _table(stored.get("e"), str),
        "u": _table(stored.get("u"), (int, float)),
        "r": _table(stored.get("r"), (int, float)),
        "s": _table(stored.get("s"), str),
    }
    for key in ("m", "d"):  # the newest id read of mentions and DMs
        if isinstance(stored.get(key), str):
            state[key] = stored[key]
    return state
