"""Classifies a post's sentiment (VADER tuned for customer service), intent and spam from its shadow text.

Sentiment: VADER's compound score in [-1, 1], labelled with VADER's own recommended thresholds:
``compound >= 0.05`` positive, ``<= -0.05`` negative, neutral between. Plain VADER misreads
customer-service text in known ways, so three measured fixes apply (see tests/triage/test_accuracy.py):

1. Failure phrases are rewritten before scoring ("never arrived", "charged twice", "not working" ->
   "failed"/"overcharged"): in VADER "never" negates the next three words, so "never arrived,
   terrible" read *positive*.
2. A small domain lexicon: "outage", "delayed", "overcharged" are negative; "help" is a request, not
   praise; "joke" is an insult here.
3. The intent nudges the score: a complaint never reads positive or neutral (sarcasm such as "great,
   late again" and complaints in languages VADER does not know), praise never reads negative.
4. A question is labelled neutral unless |compound| >= 0.5: "can I pay with PayPal" is not negative.

Intent: question / complaint / praise / other by ordered, testable rules (spam first, then complaint
vocabulary, then question form, then praise vocabulary, then strong negativity); the playbook's
``[intent]`` table adds keywords and regular expressions per intent.
"""

from __future__ import annotations

import re
import string
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from socialdesk.errors import UserError
from socialdesk.sanitize import shadow

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
# A question is labelled neutral unless its score is at least this strong either way.
QUESTION_NEUTRAL_BAND = 0.5
SENTIMENT_LABELS = ("negative", "neutral", "positive")
INTENTS = ("question", "complaint", "praise", "other")
# Intents the playbook may extend ("spam" marks posts not worth a reply).
EXTENSIBLE = ("question", "complaint", "praise", "spam")

# -- sentiment -------------------------------------------------------------------------------------

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
_analyzer: SentimentIntensityAnalyzer | None = None


def analyzer() -> SentimentIntensityAnalyzer:
    """The shared VADER analyzer with the domain lexicon, loaded once on first use (thread-safe)."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                # Imported here: loading the lexicons costs time the app's start-up should not pay.
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                built = SentimentIntensityAnalyzer()
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


def rewrite(shadow_text: str) -> str:
    """The shadow text with customer-service failure phrases rewritten for VADER (fix 1)."""
    for pattern, replacement in _REWRITES:
        shadow_text = pattern.sub(replacement, shadow_text)
    return shadow_text


_PUNCTUATION = string.punctuation


def _has_valence(vader: SentimentIntensityAnalyzer, text: str) -> bool:
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


# -- intent ----------------------------------------------------------------------------------------


def _words(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


_COMPLAINT = (
    # delivery
    _words(
        r"never (?:arrived|came|showed up|turned up|received|delivered)",
        r"(?:has|have)n'?t (?:arrived|come)",
        r"not (?:arrived|delivered|received)",
        r"where(?:'s| is) my (?:order|package|parcel|delivery|refund)",
        r"still (?:waiting|nothing|no sign|not)",
        r"late (?:again|delivery|order)",
        r"(?:is|was|arrived) late",
        r"missing items?",
        r"wrong (?:item|order|address|items)",
        r"\d+ (?:hours?|days?|weeks?|mins?|minutes?) late",
        r"(?:arrived|came|received|got|was|were|is|are)(?: a| an)? (?:broken|damaged|smashed)",
        r"damaged (?:box|bag|goods|again)",
        r"smashed",
        r"leaking",
        r"soaked",
        r"ruined",
        r"lost (?:my )?(?:package|parcel|order)",
        r"tracking says delivered",
        r"someone else'?s",
        r"thawed",
        r"melted",
        r"squashed",
        r"rotten",
        r"mouldy|moldy",
        r"expired",
        r"incomplete",
    ),
    # billing
    _words(
        r"charged (?:me )?twice",
        r"double[- ]charged",
        r"overcharged",
        r"still took",
        r"took my money",
        r"hidden fee",
        r"service fee",
        r"(?:two|2|double) payments",
        r"unauthori[sz]ed",
        r"refund (?:still|promised|never)",
        r"(?:want|need|demand) (?:a |my )?refund",
        r"still charg\w*",
        r"charged (?:me )?(?:for|again|after)",
    ),
    # outage
    _words(
        r"outage",
        r"(?:is|are|app|site|website|server|servers) down",
        r"down again",
        r"down for",
        r"not working",
        r"(?:does|do|did)(?:n'?t| not) work",
        r"stopped working",
        r"won'?t (?:load|open|let me)",
        r"can'?t (?:log ?in|sign ?in|pay|check ?out|place|access|connect)",
        r"cannot (?:log ?in|pay|access)",
        r"keeps? (?:crashing|failing|freezing)",
        r"crash(?:ed|es|ing)?",
        r"error \d+",
        r"errors?",
        r"service unavailable",
        r"just spins",
        r"broken",
        r"glitch\w*",
        r"bug(?:gy)?",
        r"failed",
    ),
    # general dissatisfaction
    _words(
        r"terrible",
        r"awful",
        r"horrible",
        r"worst",
        r"unacceptable",
        r"ridiculous",
        r"disgusting",
        r"disappointed",
        r"disappointing",
        r"useless",
        r"pathetic",
        r"scam",
        r"rip[- ]?off",
        r"fed up",
        r"sick of",
        r"not (?:ok|okay|good enough|happy)",
        r"furious",
        r"angry",
        r"complain\w*",
        r"shambles",
        r"appalling",
        r"rude",
        r"ignored",
        r"no (?:one|body) (?:replies|answers|responds)",
        r"no response",
        r"still no reply",
        r"explain this again",
    ),
    r"[😡🤬😤👎]",
    # other languages VADER does not score
    r"no funciona|no ha llegado|no lleg[oó]|lleg[oó] incompleto|faltan|reembolso|ne (?:marche|fonctionne) pas"
    r"|pas (?:re[cç]u|arriv[ée])|remboursement|funktioniert nicht|nicht angekommen|überfällig|erstattung"
    r"|enttäuschend|届きません|届かない|не работает|не пришл|не приш[её]л|лم يصل|لم يصل",
)
_QUESTION = (
    r"[?？¿]",
    r"^(?:@\S+\s+)*(?:how|what|when|where|why|who|which|can|could|do|does|did|is|are|will|would|should|"
    r"may|has|have|any(?:one|body)? know)\b",
    _words(
        r"how (?:do|can|to) i",
        r"is there (?:a|any) way",
        r"wondering (?:if|whether|how)",
        r"is it possible",
        r"(?:i'?d|i would) like to know",
        r"any idea",
    ),
)
_PRAISE = (
    _words(
        r"thanks?",
        r"thank ?you",
        r"thx",
        r"ty",
        r"cheers",
        r"love[sd]?",
        r"loving",
        r"brilliant",
        r"amazing",
        r"awesome",
        r"great (?:service|job|work|app|team)",
        r"well done",
        r"kudos",
        r"shout ?out",
        r"impressed",
        r"fantastic",
        r"excellent",
        r"superb",
        r"best",
        r"legend",
        r"lifesaver",
        r"that worked",
        r"sorted",
        r"on time",
        r"delighted",
        r"happy",
        r"recommend",
        r"gracias",
        r"merci",
        r"danke",
        r"спасибо",
        r"супер",
    ),
    r"[👏🙏❤💚😍🥰💯🙌]|ありがとう|شكرا",
)
_SPAM = (
    _words(
        r"crypto\w*",
        r"bitcoin",
        r"btc",
        r"forex",
        r"nft",
        r"giveaway",
        r"f4f",
        r"follow for follow",
        r"follow back",
        r"free (?:followers|vouchers?|gift ?cards?|iphone|money)",
        r"earn \$+",
        r"dm me for",
        r"check (?:out )?my (?:profile|bio|page|channel)",
        r"click (?:here|the link|link in bio)",
        r"link in (?:my )?bio",
        r"onlyfans",
        r"whatsapp \+?\d",
        r"telegram @",
        r"make money",
        r"work from home",
        r"claim (?:your|now|£|\$)",
        r"investment opportunity",
        r"passive income",
        r"sugar daddy",
        r"xxx",
    ),
    r"\${3,}|(?:#\w+\W*){5,}",
)
_STRONG_NEGATIVE = -0.45


@dataclass(slots=True)
class IntentPatterns:
    """Extra keywords and regular expressions for one intent (from the playbook's `[intent]`)."""

    keywords: list[str] = field(default_factory=list)
    regex: list[str] = field(default_factory=list)

    def pattern(self) -> str:
        """One alternation matching any keyword (as whole words, shadowed) or any expression."""
        parts = [_words(re.escape(shadow(k))) for k in self.keywords if k.strip()]
        parts += [f"(?:{r})" for r in self.regex]
        return "|".join(parts)


def parse_intent_section(section: Any, source: str) -> dict[str, IntentPatterns]:
    """Validate the playbook's `[intent]` table: `[intent.<name>] keywords = [...] regex = [...]`.

    Raises:
        UserError: naming the file and key for an unknown intent, key, wrong type or bad regex.
    """
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UserError(f"{source}: [intent] must be a table of [intent.<name>] tables")
    found: dict[str, IntentPatterns] = {}
    for name, table in section.items():
        where = f"intent.{name}"
        if name not in EXTENSIBLE:
            raise UserError(f"{source}: unknown intent [{where}] (known: {', '.join(EXTENSIBLE)})")
        if not isinstance(table, dict):
            raise UserError(f"{source}: [{where}] must be a table with keywords and/or regex")
        extra = IntentPatterns()
        for key, value in table.items():
            if key not in ("keywords", "regex"):
                raise UserError(f"{source}: unknown key {where}.{key} (known: keywords, regex)")
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UserError(f"{source}: {where}.{key} must be a list of strings, got {value!r}")
            for expr in value if key == "regex" else ():
                try:
                    re.compile(expr)
                except re.error as exc:
                    raise UserError(f"{source}: {where}.regex {expr!r} is not a valid regex: {exc}") from None
            setattr(extra, key, list(value))
        found[name] = extra
    return found


def _compile(builtin: Iterable[str], extra: IntentPatterns | None) -> re.Pattern[str]:
    parts = [f"(?:{p})" for p in builtin]
    if extra is not None and (extra_pattern := extra.pattern()):
        parts.append(f"(?:{extra_pattern})")
    return re.compile("|".join(parts), re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier decided about one post."""

    sentiment: float
    sentiment_label: str
    intent: str
    spam: bool

    @property
    def actionable(self) -> bool:
        """Worth an agent's attention: not spam and not idle chatter."""
        return not self.spam and self.intent != "other"


class Classifier:
    """Sentiment, intent and spam for posts; built once per playbook, then shared between threads.

    Args:
        extra: additional patterns per intent (see `parse_intent_section`).
        tuned: apply the customer-service fixes to VADER (False gives plain VADER, for comparison).
    """

    def __init__(self, extra: Mapping[str, IntentPatterns] | None = None, *, tuned: bool = True) -> None:
        extra = extra or {}
        self.tuned = tuned
        self._spam = _compile(_SPAM, extra.get("spam"))
        self._complaint = _compile(_COMPLAINT, extra.get("complaint"))
        self._question = _compile(_QUESTION, extra.get("question"))
        self._praise = _compile(_PRAISE, extra.get("praise"))

    def intent(self, shadow_text: str, compound: float) -> tuple[str, bool]:
        """The intent of a shadow text and whether it is spam (spam's intent is "other")."""
        if self._spam.search(shadow_text):
            return "other", True
        if self._complaint.search(shadow_text):
            return "complaint", False
        if self._question.search(shadow_text):
            return "question", False
        if self._praise.search(shadow_text) and compound > NEGATIVE_AT:
            return "praise", False
        if self.tuned and compound <= _STRONG_NEGATIVE:
            return "complaint", False
        return "other", False

    def classify(self, text: str, shadow_text: str | None = None) -> Classification:
        """Classify one post's text.

        Args:
            text: the post's raw text.
            shadow_text: `sanitize.shadow(text)` when the caller already has it.
        """
        s = shadow(text) if shadow_text is None else shadow_text
        compound = vader_score(s, tuned=self.tuned)
        intent, spam = self.intent(s, compound)
        if self.tuned and not spam:
            # Fix 3: the intent settles what the lexicon cannot (sarcasm, other languages).
            if intent == "complaint":
                compound = min(compound, -0.3)
            elif intent == "praise":
                compound = max(compound, 0.3)
        label = label_for(compound)
        if self.tuned and intent == "question" and abs(compound) < QUESTION_NEUTRAL_BAND:
            # Fix 4: "can I pay with PayPal" or "is it free range" carry lexicon words, not feelings.
            label = "neutral"
        return Classification(round(compound, 4), label, intent, spam)
