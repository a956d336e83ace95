"""Short labels for a post's age, status, sentiment, priority and SLA (pure functions)."""

from __future__ import annotations

import time

from socialdesk.models import PostRow


def now() -> float:
    """The time ages are measured against (one place, so snapshot tests can pin it)."""
    return time.time()


STATUS_LABELS = {
    "new": ("NEW", "new"),
    "open": ("OPN", ""),
    "pending": ("PND", "dim"),
    "snoozed": ("ZZZ", "dim"),
    "resolved": ("✓", "dim"),
    "closed": ("✓✓", "dim"),
    "escalated": ("ESC", "urgent"),
}


def age(created_at: float, now: float) -> str:
    """A compact age: 12s, 4m, 3h, 2d, 5w."""
    seconds = max(0, int(now - created_at))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def duration(seconds: float) -> str:
    """A signed compact duration for SLA clocks: 12m, 1h05, -3m (overdue).

    Time left counts whole minutes left; overdue counts every minute begun, so a clock just past its
    due time says -1m, never -0m.
    """
    sign = "-" if seconds < 0 else ""
    seconds = int(seconds) if seconds >= 0 else -int(seconds // 60) * 60
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 24:
        return f"{sign}{hours // 24}d"
    return f"{sign}{hours}h{minutes:02d}" if hours else f"{sign}{minutes}m"


def status_badge(row: PostRow) -> tuple[str, str]:
    """Label and component-style suffix for a post's status."""
    if row.is_ours:
        return ("OUR", "ours")
    return STATUS_LABELS.get(row.status, (row.status[:3].upper(), ""))


def sentiment_badge(row: PostRow) -> tuple[str, str]:
    """▼ negative, ▲ positive, · neutral/unknown."""
    label = row.sentiment_label
    if label == "negative":
        return ("▼", "negative")
    if label == "positive":
        return ("▲", "positive")
    return ("·", "dim")


def priority_badge(row: PostRow) -> tuple[str, str]:
    """!!! urgent, !! high, blank normal, ↓ low."""
    return {3: ("!!!", "urgent"), 2: ("!! ", "high"), 0: ("↓  ", "dim")}.get(row.priority, ("   ", ""))


def sla_badge(row: PostRow, at: float) -> tuple[str, str]:
    """Time left to the first-response target ("12m", "-3m" overdue), blank when no clock runs.

    A snoozed post shows when it wakes instead ("z2h05": back in the queue in 2 h 05).
    """
    if row.status == "snoozed" and row.snoozed_until is not None and not row.is_ours:
        return ("z" + duration(max(0.0, row.snoozed_until - at)), "dim")
    left = row.sla_left(at)
    if left is None:
        return ("", "")
    if left < 0:
        return (duration(left), "overdue")
    return (duration(left), "high" if left < 15 * 60 else "dim")
