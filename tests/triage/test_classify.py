"""The classifier against the labelled posts, and its customer-service fixes one by one."""

from __future__ import annotations

import pytest

from socialdesk.errors import UserError
from socialdesk.sanitize import shadow
from socialdesk.services.classify import Classifier
from socialdesk.services.intents import parse_intent_section
from socialdesk.services.sentiment import label_for, vader_score
from tests.triage.accuracy import load, score


def test_labelled_set_is_large_and_varied() -> None:
    rows = load()
    assert len(rows) >= 150
    assert {r["intent"] for r in rows} == {"question", "complaint", "praise", "other"}
    assert {r["sentiment"] for r in rows} == {"negative", "neutral", "positive"}
    assert any("\u200b" in str(r["text"]) for r in rows)


def test_accuracy_floors() -> None:
    # The floors sit a few points under today's figures so a regression fails loudly.
    s = score()
    assert s.pct(s.intent) >= 90, s.misses
    assert s.pct(s.sentiment) >= 85, s.misses
    assert s.pct(s.actionable) >= 92, s.misses


def test_tuning_beats_plain_vader_on_the_labelled_set() -> None:
    s = score()
    assert s.sentiment - s.plain_sentiment >= 0.15 * s.total


def test_never_arrived_terrible_reads_negative_only_when_tuned() -> None:
    text = shadow("my order never arrived, terrible service")
    assert label_for(vader_score(text, tuned=False)) == "positive"  # the known VADER weakness
    assert label_for(vader_score(text)) == "negative"


@pytest.mark.parametrize(
    ("text", "intent", "label"),
    [
        ("@brand I was charged twice, please refund", "complaint", "negative"),
        ("How do I change my delivery address?", "question", "neutral"),
        ("thank you, the driver was brilliant", "praise", "positive"),
        ("Great, late again. Thanks a lot", "complaint", "negative"),
        ("watching the match tonight", "other", "neutral"),
        ("@brand la app no funciona", "complaint", "negative"),
    ],
)
def test_examples(text: str, intent: str, label: str) -> None:
    got = Classifier().classify(text)
    assert (got.intent, got.sentiment_label) == (intent, label)


def test_zero_width_and_fullwidth_tricks_are_seen_through() -> None:
    c = Classifier()
    assert c.classify("c\u200br\u200by\u200bp\u200bt\u200bo signals, dm me").spam
    assert c.classify("ｃｈａｒｇｅｄ ｔｗｉｃｅ for one shop").intent == "complaint"


def test_spam_is_not_actionable() -> None:
    got = Classifier().classify("Earn $$$ from home, DM me for crypto signals")
    assert got.spam and not got.actionable and got.intent == "other"


def test_playbook_extends_intents() -> None:
    plain = Classifier()
    extended = Classifier(
        parse_intent_section(
            {"complaint": {"keywords": ["recall"]}, "spam": {"regex": [r"\bvouch3rs?\b"]}}, "pb.toml"
        )
    )
    assert plain.classify("is this product part of the recall").intent == "question"
    assert extended.classify("this product is part of the recall").intent == "complaint"
    assert extended.classify("free vouch3rs here").spam and not plain.classify("free vouch3rs here").spam


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"anger": {"keywords": ["x"]}}, "unknown intent [intent.anger]"),
        ({"complaint": {"words": ["x"]}}, "unknown key intent.complaint.words"),
        ({"complaint": {"keywords": "x"}}, "intent.complaint.keywords must be a list of strings"),
        ({"complaint": {"regex": ["("]}}, "is not a valid regex"),
    ],
)
def test_intent_section_is_validated(section: dict[str, object], message: str) -> None:
    with pytest.raises(UserError, match=r"pb\.toml") as err:
        parse_intent_section(section, "pb.toml")
    assert message in str(err.value)
