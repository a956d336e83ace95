"""`vader_fast.FastAnalyzer` scores exactly as vaderSentiment's own analyzer: on the labelled set, the
bench's corpus and generated texts full of what VADER's rules look at; and a canary that fails the day
vaderSentiment changes the methods it rewrites."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment import vaderSentiment as vader

from socialdesk.bench.measure import ingest_posts
from socialdesk.sanitize import shadow
from socialdesk.services import sentiment
from socialdesk.services.vader_fast import FastAnalyzer

LABELLED = Path(__file__).with_name("labelled_posts.jsonl")


@cache
def analyzers(domain: bool) -> tuple[vader.SentimentIntensityAnalyzer, FastAnalyzer]:
    """The original and the fast analyzer, both with the desk's domain lexicon or both without."""
    original, fast = vader.SentimentIntensityAnalyzer(), FastAnalyzer()
    if domain:
        original.lexicon.update(sentiment._DOMAIN_LEXICON)
        fast.lexicon.update(sentiment._DOMAIN_LEXICON)
    return original, fast


def disagreements(texts: list[str] | tuple[str, ...], domain: bool = True) -> list[tuple[str, Any, Any]]:
    original, fast = analyzers(domain)
    out = []
    for text in texts:
        want, got = original.polarity_scores(text), fast.polarity_scores(text)
        if want != got:
            out.append((text, want, got))
    return out


@cache
def corpus() -> tuple[str, ...]:
    """Raw texts, shadow texts and rewritten shadow texts (what the desk scores) of the bench's posts
    and the labelled set."""
    texts = [p.text for p in ingest_posts(2000, seed=11)]
    texts += [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    return tuple(dict.fromkeys([*texts, *(sentiment.rewrite(shadow(t)) for t in texts)]))


@pytest.mark.parametrize("domain", [True, False])
def test_the_fast_analyzer_scores_the_corpus_as_vader_does(domain: bool) -> None:
    texts = corpus()
    assert len(texts) > 2000
    assert disagreements(texts, domain) == []


# What VADER's rules read: lexicon words both ways, boosters and dampeners, negations (with n't), "no",
# "never so", "without doubt", "least", "but", "kind of", idioms and special cases, capitals, emojis
# (in and out of the lexicon, next to words), and the punctuation that amplifies.
_TOKENS = [
    "good", "great", "terrible", "awful", "love", "hate", "happy", "sad", "bad", "ass", "badass",
    "outage", "delayed", "help", "joke", "refund", "brilliant", "shoutout", "thanks", "ok", "fine",
    "very", "extremely", "barely", "slightly", "sort", "of", "kind", "kinda", "just", "enough",
    "not", "never", "isn't", "don't", "cannot", "aint", "without", "doubt", "no", "nor", "or",
    "so", "this", "least", "at", "but", "the", "shit", "bomb", "yeah", "right", "kiss", "death",
    "to", "die", "for", "bus", "stop", "cut", "mustard", "order", "arrived", "GREAT", "TERRIBLE",
    "Very", "NOT", "Good", ":)", ":(", ":-D", "<3", "lol", "😀", "😡", "🙃", "💔", "👍", "🍞",
]  # fmt: skip
_GLUE = st.sampled_from([" ", "  ", ", ", ". ", "! ", "!!! ", "? ", "?? ", "????", "\n", "", "-", "'"])
_TEXTS = st.lists(st.one_of(st.sampled_from(_TOKENS), _GLUE, st.text(max_size=3)), max_size=24).map("".join)


@settings(max_examples=500)
@given(texts=st.lists(_TEXTS, min_size=1, max_size=5))
def test_the_fast_analyzer_scores_generated_texts_as_vader_does(texts: list[str]) -> None:
    assert disagreements(texts) == []


# The methods FastAnalyzer rewrites, as vaderSentiment 3.3.2 has them (sha256 of their source).
_COPIED: dict[str, tuple[Callable[..., Any], str]] = {
    "polarity_scores": (vader.SentimentIntensityAnalyzer.polarity_scores, "d86ac1810f3feaa3"),
    "_negation_check": (vader.SentimentIntensityAnalyzer._negation_check, "217c127ba79d790e"),
    "_special_idioms_check": (vader.SentimentIntensityAnalyzer._special_idioms_check, "9c21f7c209651653"),
    "negated": (vader.negated, "c1b7aa330e9d1495"),
}


@pytest.mark.parametrize("name", sorted(_COPIED))
def test_canary_vader_still_has_the_methods_fast_analyzer_rewrites(name: str) -> None:
    """When this fails, vaderSentiment changed: compare its new source with vader_fast before updating."""
    function, digest = _COPIED[name]
    assert hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16] == digest


def test_the_desk_scores_with_the_fast_analyzer() -> None:
    assert isinstance(sentiment.analyzer(), FastAnalyzer)
