"""`rules explain`: which rules fired for a post, in order, what each set, and where `stop` cut in."""

from __future__ import annotations

from collections.abc import Callable

from socialdesk.config import SlaSettings
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from socialdesk.services.rules_explain import explain_stored
from socialdesk.store import Store

MakePost = Callable[..., Post]


def test_explain_lists_fired_rules_what_they_set_and_the_stop(store: Store, make_post: MakePost) -> None:
    triager = Triager.from_playbook(
        PlaybookFile(
            "pb.toml",
            {
                "rule": [
                    {
                        "name": "outage",
                        "keywords": ["outage"],
                        "tag": "outage",
                        "priority": 3,
                        "queue": "ops",
                    },
                    {"name": "questions", "keywords": ["how long"], "tag": "q"},
                    {"name": "mute", "keywords": ["giveaway"], "actionable": False, "stop": True},
                    {"name": "everything", "tag": "seen"},
                ]
            },
        ),
        SlaSettings(),
    )
    store.upsert_posts([make_post("outage again, how long? and a giveaway")])
    post_id = int(store.conn.execute("SELECT id FROM posts").fetchone()[0])
    explained = explain_stored(store, triager, post_id)
    assert [f.name for f in explained.fired] == ["outage", "questions", "mute"]
    assert explained.fired[0].sets == {"tags": ["outage", "queue:ops"], "priority": 3}
    assert explained.fired[2].sets == {"actionable": False, "stop": True}
    assert explained.stopped_by == "mute"
    assert explained.skipped == ["everything"]  # never evaluated: stop cut in before it
    lines = explained.lines()
    assert lines[0].startswith(f"post {post_id}")
    assert any("stop: the 1 rule below was not evaluated" in line for line in lines)
