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
``[intent]`` table adds keywords and regular expressions per intent. The score lives in
`services/sentiment.py`, the intent vocabulary in `services/intents.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from socialdesk.sanitize import shadow
from socialdesk.services.intents import COMPLAINT, PRAISE, QUESTION, SPAM, IntentPatterns, compile_intent
from socialdesk.services.sentiment import NEGATIVE_AT, label_for, vader_score

# A question is labelled neutral unless its score is at least this strong either way.
QUESTION_NEUTRAL_BAND = 0.5
_STRONG_NEGATIVE = -0.45


class Classification(msgspec.Struct, frozen=True):
    """What the classifier decided about one post."""

    sentiment: float
    sentiment_label: str
    intent: str
    spam: bool

    @property
    def actionable(self) -> bool:
        """Worth an agent's attention: not spam and not idle chatter."""
        return actionable(self.spam, self.intent)


def actionable(spam: bool, intent: str) -> bool:
    """Whether a classification is worth an agent's attention: not spam and not idle chatter."""
    return not spam and intent != "other"


class Classifier:
    """Sentiment, intent and spam for posts; built once per playbook, then shared between threads.

    Args:
        extra: additional patterns per intent (see `parse_intent_section`).
        tuned: apply the customer-service fixes to VADER (False gives plain VADER, for comparison).
    """

    def __init__(self, extra: Mapping[str, IntentPatterns] | None = None, *, tuned: bool = True) -> None:
        extra = extra or {}
        self.tuned = tuned
        self._spam = compile_intent(SPAM, extra.get("spam"))
        self._complaint = compile_intent(COMPLAINT, extra.get("complaint"))
        self._question = compile_intent(QUESTION, extra.get("question"))
        self._praise = compile_intent(PRAISE, extra.get("praise"))

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
