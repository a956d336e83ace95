"""Personal data in a post's text: card numbers (Luhn-checked), phone numbers, e-mail addresses, bookings.

A customer who posts one publicly is told (the thread suggests taking it private); a public reply that
carries one is held at the review. Only the kind and a masked hint are ever shown, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CARD = "card number"
PHONE = "phone number"
EMAIL = "e-mail address"
BOOKING = "booking reference"

DEFAULT_REGIONS = ("US", "GB")  # national numbers are read as these countries' (config: privacy)

# 13 to 19 digits, in groups separated by single spaces or dashes (how cards are written).
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# The local part must not follow an @ or a word character: @ana@mastodon.social is a handle, not mail.
_EMAIL = re.compile(r"(?<![\w@.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# A reference is named as one: "booking ref K7X9QZ", "order #48213", "reservation no. AB-1234".
_BOOKING = re.compile(
    r"\b(?:booking|reservation|confirmation|reference|ref|pnr|order|itinerary)"
    r"(?:\s*(?:number|code|no|nr|id|ref|reference)\b\.?)?\s*(?:is\s+)?[:#]?\s*#?"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9-]{3,15}[A-Za-z0-9])\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data: its kind, where it is in the text, and a hint that does not reveal it."""

    kind: str
    start: int
    end: int
    hint: str


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cards(text: str) -> list[Finding]:
    found = []
    for match in _CARD.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        separators = set(re.findall(r"\D", raw))
        if len(separators) > 1 or len(set(digits)) == 1 or not luhn_ok(digits):
            continue  # mixed separators, 0000..., or a number no card issuer would give
        found.append(Finding(CARD, match.start(), match.end(), f"card ending {digits[-4:]}"))
    return found


def _emails(text: str) -> list[Finding]:
    return [
        Finding(EMAIL, m.start(), m.end(), f"{m.group()[0]}…@{m.group().rsplit('@', 1)[1]}")
        for m in _EMAIL.finditer(text)
    ]


def _bookings(text: str) -> list[Finding]:
    found = []
    for match in _BOOKING.finditer(text):
        code = match.group("code")
        if not any(c.isdigit() for c in code):
            continue  # "order status", "reference guide": words, not references
        found.append(Finding(BOOKING, match.start("code"), match.end("code"), f"{code[:2]}…"))
    return found


def _phones(text: str, regions: Iterable[str]) -> list[Finding]:
    import phonenumbers  # lazily: its metadata takes a moment to load, and most posts have no digits

    found: dict[tuple[int, int], Finding] = {}
    for region in (None, *regions):  # international numbers first, then national ones per country
        matches = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
        for match in matches:
            span = (match.start, match.end)
            if not any(s < span[1] and span[0] < e for s, e in found):
                digits = re.sub(r"\D", "", match.raw_string)
                found[span] = Finding(PHONE, match.start, match.end, f"number ending {digits[-2:]}")
    return list(found.values())


def find(text: str, regions: Iterable[str] = DEFAULT_REGIONS) -> list[Finding]:
    """Every piece of personal data in `text`, in order; a span counted once (a card is not a phone)."""
    if not text:
        return []
    found = _cards(text) + _emails(text)
    taken = [(f.start, f.end) for f in found]

    def free(f: Finding) -> bool:
        return not any(s < f.end and f.start < e for s, e in taken)

    found += [f for f in _bookings(text) if free(f)]
    taken = [(f.start, f.end) for f in found]
    if sum(c.isdigit() for c in text) >= 7:  # no phone number has fewer digits
        found += [f for f in _phones(text, tuple(regions)) if free(f)]
    return sorted(found, key=lambda f: f.start)


def summary(findings: list[Finding]) -> str:
    """The kinds found with their hints, in one line: "card number (card ending 1111), phone number (…)"."""
    return ", ".join(f"{f.kind} ({f.hint})" for f in findings)
