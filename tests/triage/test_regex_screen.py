"""A first-character screen never changes a match: on generated patterns and texts, and for the intent
vocabulary on the bench's corpus, the labelled set and generated posts."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.bench.measure import ingest_posts
from socialdesk.sanitize import shadow
from socialdesk.services import intents
from socialdesk.services.classify import Classifier
from socialdesk.services.regex_screen import first_chars, screened

LABELLED = Path(__file__).with_name("labelled_posts.jsonl")
VOCABULARIES = {
    "spam": intents.SPAM,
    "complaint": intents.COMPLAINT,
    "question": intents.QUESTION,
    "praise": intents.PRAISE,
}


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Where the pattern matches: the first match (what `search` sees) and every later one."""
    return [m.span() for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        (r"\b(?:ab|c[de]?)x", "[ac]"),
        (r"a?b", "[ab]"),
        (r"(?:a|)b", "[ab]"),
        (r"\d+ days", r"[\d]"),
        (r"^(?:@\S+\s+)*(?:how|why)\b", "[@hw]"),
        (r"[a-c😡]x", "[a-c😡]"),
        (r"a*", None),  # matches the empty string
        (r"\b", None),
        (r"[^a]b", None),  # a negated set cannot join a class
        (r".b", None),
        (r"(?=x)y", None),
        (r"(?i)abc", None),  # case-insensitive: "A" begins a match too
        (r"(?i:a)b", None),
    ],
)
def test_first_chars(pattern: str, chars: str | None) -> None:
    assert first_chars(pattern) == chars


# Small patterns over a small alphabet, so that texts often match them somewhere.
_ATOMS = st.sampled_from(["a", "b", "c", "ab", "[ab]", "[b-c]", r"\d", r"\w", r"\s", " ", "1", "é", r"\?"])
_PATTERNS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        st.tuples(inner, st.sampled_from(["?", "*", "+", "{2}", "{0,2}"])).map(lambda p: f"(?:{p[0]}){p[1]}"),
        inner.map(lambda p: rf"\b{p}"),
        inner.map(lambda p: f"^{p}"),
        inner.map(lambda p: rf"{p}\b"),
    ),
    max_leaves=6,
)
_TEXTS = st.text(alphabet="abc 1é?\nx", max_size=24)


@settings(max_examples=400)
@given(pattern=_PATTERNS, texts=st.lists(_TEXTS, min_size=1, max_size=8))
def test_screened_patterns_match_where_the_originals_do(pattern: str, texts: list[str]) -> None:
    plain = re.compile(pattern, re.MULTILINE)
    fast = re.compile(screened(pattern), re.MULTILINE)
    for text in texts:
        assert spans(fast, text) == spans(plain, text), (pattern, screened(pattern), text)


@cache
def corpus() -> tuple[str, ...]:
    """Shadow texts of the bench's posts (five networks, several languages) and of the labelled set."""
    texts = [p.text for p in ingest_posts(3000, seed=11)]
    texts += [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    return tuple(dict.fromkeys(shadow(t) for t in texts))


def _literal_words() -> list[str]:
    """Words and phrases written in the intent vocabulary, for generated posts to be made of."""
    found: set[str] = set()
    for parts in VOCABULARIES.values():
        for part in parts:
            found.update(w.strip() for w in re.findall(r"[^\\()|?:*+\[\]{}^$]{2,}", part) if w.strip())
    return sorted(found)


_WORDS = st.sampled_from(_literal_words())
_GLUE = st.sampled_from(
    [" ", "  ", ", ", "! ", "? ", "\n", "#", "@brand ", " $$$ ", " 3 days ", "🙃", "😡", "🙏", "é"]
)
_POSTS = st.lists(st.one_of(_WORDS, _GLUE, st.text(max_size=4)), max_size=14).map("".join)


def screens_agree(
    vocabulary: tuple[str, ...], texts: tuple[str, ...] | list[str], screen: str | None = None
) -> list[str]:
    """The texts on which the screened vocabulary (or `screen`, a whole pattern) matches elsewhere than
    the vocabulary as written."""
    plain = intents.compile_intent(vocabulary, None, screen=False)
    fast = re.compile(screen, re.MULTILINE) if screen else intents.compile_intent(vocabulary, None)
    return [t for t in texts if spans(fast, t) != spans(plain, t)]


@pytest.mark.parametrize("intent", sorted(VOCABULARIES))
def test_screened_intents_match_as_written_on_the_corpus(intent: str) -> None:
    texts = corpus()
    assert len(texts) > 2000
    assert screens_agree(VOCABULARIES[intent], texts) == []


@settings(max_examples=300)
@given(texts=st.lists(_POSTS, min_size=1, max_size=6))
def test_screened_intents_match_as_written_on_generated_posts(texts: list[str]) -> None:
    for vocabulary in VOCABULARIES.values():
        assert screens_agree(vocabulary, texts) == []


def test_a_screen_missing_one_first_character_is_caught() -> None:
    """The corpus check can fail: a screen that forgets that complaints may begin with "t" ("terrible")."""
    vocabulary = "|".join(f"(?:{p})" for p in intents.COMPLAINT)
    right = first_chars(vocabulary)
    assert right is not None and "t" in right
    wrong = f"(?={right.replace('t', '')})(?:{vocabulary})"
    assert screens_agree(intents.COMPLAINT, corpus(), wrong)


def test_the_classifier_uses_the_screened_vocabulary() -> None:
    classifier = Classifier()
    as_written = intents.compile_intent(intents.COMPLAINT, None, screen=False)
    assert classifier._complaint.pattern != as_written.pattern
    assert "(?=[" in classifier._complaint.pattern
