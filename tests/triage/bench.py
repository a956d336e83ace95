"""Measures classification cost per post: `python -m tests.triage.bench [N]` (unique texts, cold cache)."""

from __future__ import annotations

import sys
import time

from socialdesk.sanitize import shadow
from socialdesk.services import classify, sentiment
from tests.triage.accuracy import load


def main() -> None:
    """Print microseconds per post for shadowing, plain VADER and the full classifier."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    base = [str(r["text"]) for r in load()]
    # Unique texts (an order number each), so the score cache never helps: the worst case.
    texts = [f"{base[i % len(base)]} #{100000 + i}" for i in range(n)]
    classifier = classify.Classifier()
    classifier.classify("warm up")
    t = time.perf_counter()
    shadows = [shadow(x) for x in texts]
    t_shadow = time.perf_counter() - t
    vader = sentiment.analyzer()
    t = time.perf_counter()
    for s in shadows:
        vader.polarity_scores(s)
    t_vader = time.perf_counter() - t
    sentiment._vader_compound.cache_clear()
    t = time.perf_counter()
    for x, s in zip(texts, shadows, strict=True):
        classifier.classify(x, s)
    t_full = time.perf_counter() - t
    # Repeated texts (retweets, an outage wave): the score cache answers.
    repeated = [shadow(x) for x in base]
    t = time.perf_counter()
    for i in range(n):
        s = repeated[i % len(repeated)]
        classifier.classify(s, s)
    t_cached = time.perf_counter() - t
    from socialdesk.models import Author, Post
    from socialdesk.services.playbook import load_playbook
    from socialdesk.services.rules import Triager

    triager = Triager.from_playbook(load_playbook(None))
    posts = [
        Post("x", str(i), Author(f"a{i % 5000}", f"h{i}", followers=i % 20000), x, float(i))
        for i, x in enumerate(texts)
    ]
    sentiment._vader_compound.cache_clear()
    t = time.perf_counter()
    for start in range(0, n, 500):
        triager.triage_many(posts[start : start + 500], None)
    t_triage = time.perf_counter() - t
    per = 1e6 / n
    print(
        f"{n} posts, µs per post: shadow {t_shadow * per:.1f}, plain VADER {t_vader * per:.1f}, "
        f"classify (cold) {t_full * per:.1f}, classify (repeated text) {t_cached * per:.1f}, "
        f"triage with the sample playbook (cold) {t_triage * per:.1f}"
    )


if __name__ == "__main__":
    main()
