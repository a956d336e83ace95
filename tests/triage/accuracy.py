"""Scores the classifier on the labelled posts; `python -m tests.triage.accuracy [-v]` prints the report."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from socialdesk.sanitize import shadow
from socialdesk.services.classify import Classifier
from socialdesk.services.sentiment import label_for, vader_score

LABELLED = Path(__file__).with_name("labelled_posts.jsonl")


@dataclass
class Score:
    """Accuracy of one classifier configuration, and the posts it got wrong."""

    total: int = 0
    intent: int = 0
    sentiment: int = 0
    actionable: int = 0
    plain_sentiment: int = 0
    misses: list[str] = field(default_factory=list)

    def pct(self, hits: int) -> float:
        """Hits as a percentage of the labelled posts."""
        return 100.0 * hits / self.total


def load() -> list[dict[str, object]]:
    """The labelled posts."""
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(classifier: Classifier | None = None) -> Score:
    """Run the classifier over every labelled post and count agreements with the labels."""
    classifier = classifier or Classifier()
    result = Score()
    for row in load():
        text = str(row["text"])
        got = classifier.classify(text)
        result.total += 1
        result.intent += got.intent == row["intent"]
        result.sentiment += got.sentiment_label == row["sentiment"]
        result.actionable += got.actionable == row["actionable"]
        result.plain_sentiment += label_for(vader_score(shadow(text), tuned=False)) == row["sentiment"]
        if (got.intent, got.sentiment_label, got.actionable) != (
            row["intent"],
            row["sentiment"],
            row["actionable"],
        ):
            result.misses.append(
                f"{text!r}: want {row['intent']}/{row['sentiment']}/{row['actionable']}, "
                f"got {got.intent}/{got.sentiment_label}/{got.actionable} ({got.sentiment:+.2f})"
            )
    return result


def main() -> None:
    """Print accuracy (and with -v every miss)."""
    s = score()
    print(f"labelled posts: {s.total}")
    print(f"intent      {s.pct(s.intent):5.1f}%")
    print(f"sentiment   {s.pct(s.sentiment):5.1f}%  (plain VADER: {s.pct(s.plain_sentiment):.1f}%)")
    print(f"actionable  {s.pct(s.actionable):5.1f}%")
    if "-v" in sys.argv:
        print("\n".join(s.misses))


if __name__ == "__main__":
    main()
