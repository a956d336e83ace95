"""Guesses a post's language when the network gives none: lingua, offline, on a few languages, loaded lazily.

Only rules with a `lang` condition need it, and only for posts that reach that condition without a
language from the network, so the detector is built on the first such post (never at start-up, and
never in a sync whose posts all carry one). It knows the languages the playbook names plus a few
common ones, so a post in another common language is not forced into a named one; lingua's
low-accuracy mode (trigrams) keeps it to a few MiB, and a text too short to tell gives "" (no match).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Detected besides the playbook's own languages: without them, a detector that knew only Spanish
# and English would call a French post one of the two.
COMMON = ("en", "es", "fr", "de", "pt", "it", "nl")
# How far apart the best two languages' scores must be before the best one is believed.
_MIN_DISTANCE = 0.1


def base_code(code: str) -> str:
    """The ISO 639 part of a language tag ("pt-BR" -> "pt")."""
    return code.split("-")[0].strip().casefold()


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """The ISO 639-1 codes the detector can tell."""
    from lingua import Language

    return frozenset(language.iso_code_639_1.name.casefold() for language in Language.all())


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    """One detector per language set, shared by every Triager (a playbook reload keeps it)."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    isos = [getattr(IsoCode639_1, c.upper()) for c in codes]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
        .with_low_accuracy_mode()
        .with_minimum_relative_distance(_MIN_DISTANCE)
        .build()
    )


_build_lock = threading.Lock()


class LanguageGuesser:
    """Guesses the language of a text among the playbook's languages and the common ones.

    Picklable (a worker process builds its own detector on first use).

    Args:
        wanted: the language codes the playbook's rules name; those the detector does not know
            are left out (a rule naming one matches only posts the network labels with it).
    """

    __slots__ = ("_detector", "wanted")

    def __init__(self, wanted: Iterable[str]) -> None:
        self.wanted = tuple(sorted({base_code(c) for c in wanted} | set(COMMON)))
        self._detector: LanguageDetector | None = None

    def __getstate__(self) -> tuple[str, ...]:
        return self.wanted

    def __setstate__(self, state: tuple[str, ...]) -> None:
        self.wanted = state
        self._detector = None

    @property
    def codes(self) -> tuple[str, ...]:
        """The languages it tells apart (the wanted ones the detector knows)."""
        known = known_codes()
        return tuple(c for c in self.wanted if c in known)

    @property
    def loaded(self) -> bool:
        """Whether the detector has been built (the first post that needed it)."""
        return self._detector is not None

    def guess(self, text: str) -> str:
        """The text's ISO 639-1 code, or "" when it cannot tell."""
        if not text.strip():
            return ""
        detector = self._detector
        if detector is None:
            with _build_lock:
                detector = self._detector = _detector(self.codes)
        language = detector.detect_language_of(text)
        return "" if language is None else language.iso_code_639_1.name.casefold()


class LazyLanguage:
    """A post's language, guessed at most once and only when a condition asks for it."""

    __slots__ = ("_guesser", "_text", "_value")

    def __init__(self, guesser: LanguageGuesser, text: str) -> None:
        self._guesser = guesser
        self._text = text
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            self._value = self._guesser.guess(self._text)
        return self._value

    @property
    def guessed(self) -> str | None:
        """The guess, if one was made."""
        return self._value
