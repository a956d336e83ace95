"""Personal data in posts: what is found (true positives) and what must not be (false positives)."""

from __future__ import annotations

import pytest

from socialdesk.services.personal_data import BOOKING, CARD, EMAIL, PHONE, find, luhn_ok, summary


def kinds(text: str, regions: tuple[str, ...] = ("US", "GB")) -> list[str]:
    return [f.kind for f in find(text, regions)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card 4111 1111 1111 1111 was charged twice", [CARD]),
        ("charged on 4111-1111-1111-1111!", [CARD]),
        ("card 5500005555555559", [CARD]),
        ("amex 3782 822463 10005", [CARD]),
        ("mail me at maria.lopez+shop@example.co.uk please", [EMAIL]),
        ("call me on +44 20 7946 0958", [PHONE]),
        ("my number is (415) 555-2671", [PHONE]),
        ("ring 020 7946 0958 after six", [PHONE]),
        ("booking ref K7X9QZ never arrived", [BOOKING]),
        ("Order #48213 is late", [BOOKING]),
        ("reservation no. AB-1234 was cancelled", [BOOKING]),
        ("my confirmation code is 7HG2KD", [BOOKING]),
    ],
)
def test_true_positives(text: str, expected: list[str]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 does not pass Luhn",  # one digit off
        "tracking 1234567890123456",  # 16 digits, fails Luhn
        "0000 0000 0000 0000",  # passes Luhn, no card
        "thanks @ana@mastodon.social for the help",  # a fediverse handle, not an address
        "@brightbasket your app is down",
        "Error 503 since 2026-11-26 14:30",
        "server 192.168.100.120 is down",
        "my order is late and the order status page is broken",
        "see the reference guide, chapter 3",
        "version 4.12.1 fixed it",
        "I paid 1299.00 for 3 items",
        "",
    ],
)
def test_false_positives(text: str) -> None:
    assert kinds(text) == []


def test_a_national_number_needs_its_region() -> None:
    assert kinds("ring 06 12 34 56 78", regions=("US",)) == []
    assert kinds("ring 06 12 34 56 78", regions=("FR",)) == [PHONE]


def test_several_in_one_post_in_order_and_the_hint_hides_the_value() -> None:
    text = "I'm jo@example.org, card 4111 1111 1111 1111, phone +1 415 555 2671, order 48213"
    found = find(text)
    assert [f.kind for f in found] == [EMAIL, CARD, PHONE, BOOKING]
    line = summary(found)
    assert "card ending 1111" in line and "4111 1111" not in line and "jo@example.org" not in line


def test_luhn() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
