"""VADER's analyzer without its per-word copies of the whole text: the same scores, in less time.

vaderSentiment 3.3.2 lower-cases every word of the text again each time it looks at the three words
before a lexicon word (`_negation_check`, `_special_idioms_check`, `negated`), and rebuilds the text
one character at a time to replace emojis even when it holds none. `FastAnalyzer` lower-cases only
the words those checks read and skips the rebuild when no character of the text is an emoji; every
decision is VADER's own, in VADER's order. `tests/triage/test_vader_fast.py` holds it to the
original on the labelled set, the bench's corpus and generated texts, and fails when the installed
vaderSentiment changes what this module copies.
"""

from __future__ import annotations

from typing import Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
)

# The vaderSentiment release whose methods are rewritten here.
COPIED_FROM = "3.3.2"
_NEGATE = frozenset(NEGATE)


def _negated(word: str) -> bool:
    """`vaderSentiment.negated([word])`: a negation word, or a contraction with n't."""
    lower = word.lower()
    return lower in _NEGATE or "n't" in lower


class FastAnalyzer(SentimentIntensityAnalyzer):
    """`SentimentIntensityAnalyzer` with the same `polarity_scores`, without the repeated copies."""

    def __init__(self) -> None:
        super().__init__()
        self.emoji_chars = frozenset(self.emojis)

    def polarity_scores(self, text: str) -> dict[str, float]:
        """VADER's scores of `text` (see `SentimentIntensityAnalyzer.polarity_scores`)."""
        if text.isascii() or self.emoji_chars.isdisjoint(text):
            # The original's emoji pass copies such a text unchanged, one character at a time.
            text = text.strip()
        else:
            text = self._describe_emojis(text)
        sentitext = SentiText(text)
        sentiments: list[Any] = []
        words = sentitext.words_and_emoticons
        last = len(words) - 1
        for i, item in enumerate(words):
            lower = item.lower()
            if lower in BOOSTER_DICT or (i < last and lower == "kind" and words[i + 1].lower() == "of"):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
        sentiments = self._but_check(words, sentiments)
        scores: dict[str, float] = self.score_valence(sentiments, text)
        return scores

    def _describe_emojis(self, text: str) -> str:
        """The original's emoji pass: each emoji replaced by its description, spaced from the words."""
        parts: list[str] = []
        prev_space = True
        for char in text:
            description = self.emojis.get(char)
            if description is not None:
                if not prev_space:
                    parts.append(" ")
                parts.append(description)
                prev_space = False
            else:
                parts.append(char)
                prev_space = char == " "
        return "".join(parts).strip()

    @staticmethod
    def _negation_check(valence: float, words_and_emoticons: list[str], start_i: int, i: int) -> float:
        # The original lower-cases the whole text to read one to three words of it.
        def low(k: int) -> str:
            return str(words_and_emoticons[k]).lower()

        if start_i == 0 and _negated(low(i - 1)):
            valence = valence * N_SCALAR
        if start_i == 1:
            if low(i - 2) == "never" and (low(i - 1) == "so" or low(i - 1) == "this"):
                valence = valence * 1.25
            elif low(i - 2) == "without" and low(i - 1) == "doubt":
                pass
            elif _negated(low(i - 2)):
                valence = valence * N_SCALAR
        if start_i == 2:
            if (low(i - 3) == "never" and (low(i - 2) == "so" or low(i - 2) == "this")) or (
                low(i - 1) == "so" or low(i - 1) == "this"
            ):
                valence = valence * 1.25
            elif low(i - 3) == "without" and (low(i - 2) == "doubt" or low(i - 1) == "doubt"):
                pass
            elif _negated(low(i - 3)):
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        # The original lower-cases the whole text to read the six words around position i.
        def low(k: int) -> str:
            return str(words_and_emoticons[k]).lower()

        w3, w2, w1, w0 = low(i - 3), low(i - 2), low(i - 1), low(i)
        onezero = f"{w1} {w0}"
        twoonezero = f"{w2} {w1} {w0}"
        twoone = f"{w2} {w1}"
        threetwoone = f"{w3} {w2} {w1}"
        threetwo = f"{w3} {w2}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        count = len(words_and_emoticons)
        if count - 1 > i:
            zeroone = f"{w0} {low(i + 1)}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if count - 1 > i + 1:
            zeroonetwo = f"{w0} {low(i + 1)} {low(i + 2)}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence
