"""Personal data in a post's text: card numbers (Luhn-checked), phone numbers, e-mail addresses, bookings.

A customer who posts one publicly is told (the thread suggests taking it private); a public reply that
carries one is held at the review. Only the kind and a masked hint are ever shown, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import msgspec

CARD = "card number"
PHONE = "phone number"
EMAIL = "e-mail address"
BOOKING = "booking reference"

DEFAULT_REGIONS = ("US", "GB")  # national numbers are read as these countries' (config: privacy)

# 13 to 19 digits, in groups separated by single spaces or dashes (how cards are written).
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# The local part must not follow an @ or a word character: @ana@mastodon.social is a handle, not mail.
_EMAIL = re.compile(r"(?<![\w@.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Where a phone number can be: a run of digits joined by at most four of the characters phonenumbers'
# matcher allows between them (its `_VALID_PUNCTUATION`, and plus signs and brackets), after a plus
# for an international one. Its candidates are such runs (an extension's digits are read apart and
# never make a number valid), so a text without a long enough run holds no number, and phonenumbers
# (slow to import) is not loaded for it.
_PHONE_JOINERS = (
    "-x\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000()\uff08\uff09\uff3b\uff3d"
    ".\\[\\]/~\u2053\u223c\uff5e+\uff0b"
)
_PHONE_RUN = re.compile(rf"(?:[+\uff0b][{_PHONE_JOINERS}]{{0,9}})?\d(?:[{_PHONE_JOINERS}]{{0,4}}\d)*")
# The fewest digits of a number with its country code (+43 and four digits, in Austria) ...
INTERNATIONAL_MIN_DIGITS = 6
# ... and of a national number in these countries: the run check is used only when every region read
# is one of them (elsewhere national numbers may be as short as four digits).
NATIONAL_MIN_DIGITS = 7
LONG_NUMBER_REGIONS = frozenset(
    {"US", "CA", "GB", "IE", "FR", "ES", "PT", "BE", "CH", "IN", "BR", "MX", "JP"}
)

# A reference is named as one: "booking ref K7X9QZ", "order #48213", "reservation no. AB-1234".
_BOOKING = re.compile(
    r"\b(?:booking|reservation|confirmation|reference|ref|pnr|order|itinerary)"
    r"(?:\s*(?:number|code|no|nr|id|ref|reference)\b\.?)?\s*(?:is\s+)?[:#]?\s*#?"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9-]{3,15}[A-Za-z0-9])\b",
    re.IGNORECASE,
)


class Finding(msgspec.Struct, frozen=True):
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


def may_hold_phone(text: str, regions: Iterable[str] = DEFAULT_REGIONS) -> bool:
    """Whether `text` may hold a phone number phonenumbers' matcher would find, read in `regions`.

    Seven digits in all at least (no number the check finds has fewer); then, when every region is
    in LONG_NUMBER_REGIONS, a run of digits long enough (`_PHONE_RUN`): "my order #409105 was due 3
    days ago" has seven digits, but no run of more than six and no plus.
    """
    if sum(c.isdigit() for c in text) < NATIONAL_MIN_DIGITS:
        return False
    if not LONG_NUMBER_REGIONS.issuperset(regions):
        return True
    for run in _PHONE_RUN.finditer(text):
        digits = sum(c.isdigit() for c in run.group())
        international = run.group()[0] in "+\uff0b"
        if digits >= (INTERNATIONAL_MIN_DIGITS if international else NATIONAL_MIN_DIGITS):
            return True
    return False


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
    regions = tuple(regions)
    if may_hold_phone(text, regions):
        found += [f for f in _phones(text, regions) if free(f)]
    return sorted(found, key=lambda f: f.start)


def summary(findings: list[Finding]) -> str:
    """The kinds found with their hints, in one line: "card number (card ending 1111), phone number (…)"."""
    return ", ".join(f"{f.kind} ({f.hint})" for f in findings)
