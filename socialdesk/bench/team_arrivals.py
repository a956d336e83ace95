"""Posts arriving in the team database as the hub stores them (team/hub_posts.publish_page), at a fixed rate.

One thread leads a bench account (team/hub_leases.py) and publishes pages of new customers' posts,
each a new conversation, on a fixed schedule (`team_pacing.arrival_due`), each page one fenced
transaction with its cursor as the hub writes it. `per_page` 1 is the hardest case for the desks:
every post its own commit, so every post wakes every desk.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from socialdesk.bench.team_pacing import arrival_due
from socialdesk.team import hub_leases, hub_posts
from socialdesk.team.connect import connect

ACCOUNT = "bench-hub"


def new_post(tag: str, n: int, now: float) -> dict[str, Any]:
    """A customer's first post, as the hub's cache hands it to `publish_page` (store/hub_pages.py)."""
    return {
        "network": "bench",
        "native_id": f"{tag}-{n}",
        "account": ACCOUNT,
        "author_native_id": f"u{tag}-{n}",
        "author_handle": f"customer{n}",
        "author_name": "",
        "text": f"where is my order {n}?",
        "created_at": now,
        "url": "",
        "in_reply_to": None,
        "conversation_id": None,
        "kind": "mention",
        "lang": "en",
        "is_ours": False,
        "content_warning": "",
        "raw": "{}",
        "fetched_at": now,
        "edited_at": None,
        "deleted_at": None,
        "status": "new",
        "priority": 1,
        "sentiment": None,
        "sentiment_label": "",
        "intent": "",
        "actionable": True,
        "assigned_to": "",
        "due_at": now + 3600,
        "tags": [],
    }


class Arrivals(threading.Thread):
    """Publishes `rate` posts a second in pages of `per_page` until `stop`; counts what it published.

    Args:
        url: the team database (the schema exists).
        rate: posts per second.
        per_page: posts per transaction (1: every post its own commit).
    """

    def __init__(self, url: str, rate: float, per_page: int = 1) -> None:
        super().__init__(daemon=True, name="bench-arrivals")
        self.url, self.rate, self.per_page = url, rate, per_page
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.posts = 0
        self.seconds = 0.0
        self.error = ""
        self.lateness: list[float] = []  # how late each page left its schedule (the publisher's load)

    def run(self) -> None:
        try:
            with connect(self.url) as conn:
                lease = hub_leases.try_lead(conn, ACCOUNT, "bench-hub", lease=24 * 3600)
                if lease is None:
                    raise RuntimeError(f"another hub leads {ACCOUNT}")
                tag = uuid.uuid4().hex[:8]
                self.ready.set()
                start = time.monotonic()
                page = 0
                while True:
                    due = arrival_due(start, page, self.rate, self.per_page)
                    if self.stop.wait(max(0.0, due - time.monotonic())):
                        break
                    self.lateness.append(time.monotonic() - due)
                    now = time.time()
                    first = page * self.per_page
                    posts = [new_post(tag, first + i, now) for i in range(self.per_page)]
                    hub_posts.publish_page(conn, lease, posts, [], f"{tag}:{page}", now)
                    self.posts += self.per_page
                    page += 1
                self.seconds = time.monotonic() - start
        except Exception as exc:  # the bench reports it; the run fails
            self.error = f"arrivals: {exc}"
            self.ready.set()

    @property
    def achieved(self) -> float:
        """Posts per second actually published."""
        return self.posts / self.seconds if self.seconds else 0.0
