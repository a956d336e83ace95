"""VADER's sentiment score tuned for customer service: failure phrases rewritten, a domain lexicon.

Labels use VADER's own recommended thresholds (``compound >= 0.05`` positive, ``<= -0.05``
negative); `socialdesk.services.classify` combines the score with the intent.
"""

from __future__ import annotations

import re
import string
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from socialdesk.services.regex_screen import screened

if TYPE_CHECKING:
    from socialdesk.services.vader_fast import FastAnalyzer

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
SENTIMENT_LABELS = ("negative", "neutral", "positive")

# Each rewrite removes a negator VADER would apply to the following words, keeping the meaning.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(?:never|not|still not|hasn'?t|has not|haven'?t|have not|didn'?t|did not|wasn'?t|"
            r"was not|isn'?t|is not)\s+(?:been\s+|yet\s+)?(?:arrived?|came|come|received|delivered|shown up|"
            r"showed up|turned up|got|gotten|heard back|answered|responded|replied|refunded|fixed|working|"
            r"worked|loading|loaded)\b"
        ),
        "failed",
    ),
    (
        re.compile(
            r"\b(?:doesn'?t|does not|don'?t|do not|won'?t|will not|can'?t|cannot|can not|couldn'?t|"
            r"could not)\s+(?:work|load|log ?in|sign ?in|open|connect|pay|check ?out|"
            r"place (?:an |my )?orders?)\b"
        ),
        "failed",
    ),
    (re.compile(r"\b(?:charged (?:me )?twice|double[- ]charged|charged double)\b"), "overcharged"),
)
_DOMAIN_LEXICON = {
    "outage": -2.0,
    "outages": -2.0,
    "overcharged": -2.0,
    "delayed": -1.2,
    "late": -0.8,
    "unavailable": -1.2,
    "waiting": -0.6,
    "thawed": -1.0,
    "refund": -0.4,
    "help": 0.0,
    "joke": -1.2,
    "brilliant": 2.8,
    "shoutout": 1.5,
}

_analyzer_lock = threading.Lock()
_analyzer: FastAnalyzer | None = None


def analyzer() -> FastAnalyzer:
    """The shared VADER analyzer with the domain lexicon, loaded once on first use (thread-safe)."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                # Imported here: loading the lexicons costs time the app's start-up should not pay.
                from socialdesk.services.vader_fast import FastAnalyzer

                built = FastAnalyzer()
                built.lexicon.update(_DOMAIN_LEXICON)
                _analyzer = built
    return _analyzer


def label_for(compound: float) -> str:
    """The sentiment label of a compound score (VADER's ±0.05 thresholds)."""
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


# Any of the rewrites' phrases: one search spares most texts, which hold none, the three substitutions.
_ANY_REWRITE = re.compile(screened("|".join(f"(?:{pattern.pattern})" for pattern, _ in _REWRITES)))


def rewrite(shadow_text: str) -> str:
    """The shadow text with customer-service failure phrases rewritten for VADER (fix 1)."""
    if _ANY_REWRITE.search(shadow_text) is None:
        return shadow_text
    for pattern, replacement in _REWRITES:
        shadow_text = pattern.sub(replacement, shadow_text)
    return shadow_text


_PUNCTUATION = string.punctuation


def _has_valence(vader: FastAnalyzer, text: str) -> bool:
    """Whether any token or emoji of `text` is in VADER's lexicons.

    Without one, VADER's score is exactly 0 (boosters, negations and punctuation only scale
    lexicon valences), so the expensive scoring can be skipped.
    """
    lexicon = vader.lexicon
    for token in text.split():
        if token in lexicon or token.strip(_PUNCTUATION) in lexicon:
            return True
    if not text.isascii():
        emojis = vader.emojis
        return any(ch in emojis for ch in text)
    return False


@lru_cache(maxsize=4096)
def _vader_compound(text: str) -> float:
    # Cached: outage waves and retweets repeat the same text many times.
    vader = analyzer()
    if not _has_valence(vader, text):
        return 0.0
    return float(vader.polarity_scores(text)["compound"])


def vader_score(shadow_text: str, *, tuned: bool = True) -> float:
    """VADER's compound score of a shadow text, with the failure-phrase rewrite unless `tuned` is False."""
    return _vader_compound(rewrite(shadow_text) if tuned else shadow_text)
