"""Measures what `lang` costs on posts without the network's language: `python -m tests.triage.lang_cost [N]`.

Triages N posts (labelled texts from tests/triage/labelled_posts.jsonl, a number each, no `lang`)
under a playbook with one `lang = "es"` rule and under one with a keyword rule, each in a fresh
process's state: the first post's time (the detector is built there), microseconds per post after it,
and the resident memory the run added.
"""

from __future__ import annotations

import subprocess
import sys
import time

from socialdesk.config import SlaSettings
from socialdesk.models import Author, Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from tests.triage.accuracy import load

SPANISH = ["mi pedido nunca llegó y nadie responde", "el repartidor dejó el paquete en otra puerta"]


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def run(kind: str, n: int) -> str:
    """One measurement in this process: "lang" or "keywords"."""
    base = [str(r["text"]) for r in load()] + SPANISH * 20
    posts = [
        Post("jsonl", f"p{i}", Author(f"u{i}", f"user{i}"), f"{base[i % len(base)]} #{i}", 1.8e9 + i)
        for i in range(n + 1)
    ]
    rule = (
        {"name": "es", "lang": "es", "tag": "es"} if kind == "lang" else {"name": "r", "keywords": ["refund"]}
    )
    triager = Triager.from_playbook(PlaybookFile("pb", {"rule": [rule]}), SlaSettings())
    before = _rss_mib()
    start = time.perf_counter()
    triager.triage_many(posts[:1], None)
    first = time.perf_counter()
    triager.triage_many(posts[1:], None)
    end = time.perf_counter()
    return (
        f"{kind:>8}: first post {1000 * (first - start):.0f} ms, then {1e6 * (end - first) / n:.0f} us/post "
        f"over {n} posts, RSS +{_rss_mib() - before:.1f} MiB"
    )


def main() -> None:
    """Print both measurements, each in its own process (the detector is cached per process)."""
    if len(sys.argv) > 2:
        print(run(sys.argv[2], int(sys.argv[1])))
        return
    n = sys.argv[1] if len(sys.argv) > 1 else "5000"
    for kind in ("keywords", "lang"):
        subprocess.run([sys.executable, "-m", "tests.triage.lang_cost", n, kind], check=True)


if __name__ == "__main__":
    main()
