"""The feed's short labels: a snoozed post says when it wakes."""

from __future__ import annotations

from msgspec.structs import replace

from socialdesk.models import Author, Post
from socialdesk.store import Store, Triage
from socialdesk.store.queries import get_post
from socialdesk.widgets.badges import sla_badge

NOW = 1_800_000_000.0


def test_a_snoozed_post_shows_when_it_wakes(store: Store) -> None:
    store.upsert_posts([Post("x", "1", Author("a", "ann"), "late", NOW - 60)], [Triage(due_at=NOW + 600)])
    row = get_post(store.conn, 1)
    assert row is not None and sla_badge(row, NOW)[0] == "10m"
    snoozed = replace(row, status="snoozed", snoozed_until=NOW + 2 * 3600 + 5 * 60)
    assert sla_badge(snoozed, NOW) == ("z2h05", "dim")


def test_an_sla_clock_never_says_minus_zero_overdue_counts_every_started_minute() -> None:
    from socialdesk.widgets.badges import duration

    assert duration(-20) == "-1m"  # overdue by seconds is overdue, not "-0m"
    assert duration(-61) == "-2m"
    assert duration(-3600) == "-1h00"
    assert duration(-3601) == "-1h01"
    assert duration(59) == "0m"  # time left counts whole minutes left, as before
    assert duration(12 * 60 + 59) == "12m"
    assert duration(0) == "0m"
