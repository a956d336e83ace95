"""Triage corrections on a team desk: the team's post carries them, every desk applies them, offline too."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.models import Agent
from socialdesk.services import team_replica
from socialdesk.services.queue import QueueService
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team import corrections
from socialdesk.team.hub_leases import try_lead
from socialdesk.team.hub_posts import publish_page
from tests.team.desk_seed import add_post
from tests.team.relay import Relay, through
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres


def team_triage(hub: psycopg.Connection, native_id: str) -> tuple[str, str, int]:
    row = hub.execute(
        "SELECT sentiment_label, intent, corrected FROM posts WHERE native_id = %s", (native_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1]), int(row[2])


def cached_triage(store: Store, native_id: str) -> tuple[str, str, int]:
    row = store.conn.execute(
        "SELECT sentiment_label, intent, corrected FROM posts WHERE native_id = ?", (native_id,)
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1]), int(row[2])


def desks(team_db: str, tmp_path: Path, hub: psycopg.Connection) -> tuple[TeamDesk, TeamDesk]:
    ann = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
    bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
    for desk in (ann, bob):
        team_replica.pull(hub, desk.store)
    return ann, bob


def test_a_correction_reaches_the_team_and_every_other_desk_and_is_audited(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        conversation, post = add_post(hub, "p1")
        hub.execute("UPDATE posts SET sentiment_label = 'neutral', intent = 'other' WHERE id = %s", (post,))
        ann, bob = desks(team_db, tmp_path, hub)
        QueueService(ann.store, Agent("ann"), team=ann).correct(1, sentiment_label="negative")
        assert team_triage(hub, "p1") == ("negative", "other", 1)
        assert cached_triage(ann.store, "p1") == ("negative", "other", 1)
        pulled = team_replica.pull(hub, bob.store)
        assert cached_triage(bob.store, "p1") == ("negative", "other", 1)
        assert ("demo", "p1") in pulled.conversations  # the desk redraws the row and the thread
        QueueService(bob.store, Agent("bob"), team=bob).correct(1, intent="complaint")
        team_replica.pull(hub, ann.store)
        assert cached_triage(ann.store, "p1") == ("negative", "complaint", 3)
        audit = hub.execute(
            "SELECT agent, conversation_id, post_id, detail->>'sentiment', detail->>'intent' FROM audit "
            "WHERE action = 'correct' ORDER BY id"
        ).fetchall()
        assert audit == [
            ("ann", conversation, post, "negative", None),
            ("bob", conversation, post, None, "complaint"),
        ]


def test_the_hub_syncing_the_post_again_keeps_the_correction(team_db: str, tmp_path: Path) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        lease = try_lead(hub, "demo", "hub-1")
        assert lease is not None
        row = {
            "network": "demo", "native_id": "p1", "account": "demo", "author_native_id": "u-carla",
            "author_handle": "carla", "author_name": "Carla", "text": "my order never came",
            "created_at": 1_795_000_000.0, "url": "", "in_reply_to": None, "conversation_id": None,
            "kind": "post", "lang": "en", "is_ours": False, "content_warning": "", "raw": "{}",
            "fetched_at": 1_795_000_000.0, "edited_at": None, "deleted_at": None, "priority": 1,
            "sentiment": 0.0, "sentiment_label": "neutral", "intent": "other", "actionable": True,
            "tags": [], "status": "new", "assigned_to": "", "due_at": None,
        }  # fmt: skip
        publish_page(hub, lease, [row], [], "c1", 0.0)
        ann = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, ann.store)
        service = QueueService(ann.store, Agent("ann"), team=ann)
        service.correct(1, sentiment_label="negative", intent="complaint")
        edited = publish_page(hub, lease, [row | {"text": "my order never came, edited"}], [], "c2", 0.0)
        assert edited.updated == 1  # the network's change came through
        assert team_triage(hub, "p1") == ("negative", "complaint", 3)
        team_replica.pull(hub, ann.store)
        assert cached_triage(ann.store, "p1") == ("negative", "complaint", 3)


def test_a_correction_made_offline_is_replayed_on_reconnect(
    team_db: str, relay: Relay, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", bob="agent")
        add_post(hub, "p1")
        desk = TeamDesk(through(relay, team_db), Store(tmp_path / "ann.db"), "ann")
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        relay.stop()
        QueueService(desk.store, Agent("ann"), team=desk).correct(1, intent="question")
        assert cached_triage(desk.store, "p1")[1:] == ("question", 2)  # applied here at once, offline
        assert team_triage(hub, "p1")[2] == 0
        relay.start()
        with desk.open() as feed_conn:
            team_replica.pull(feed_conn, desk.store)
        replayed = desk.replay()
        assert (replayed.applied, replayed.conflicts) == (1, ())  # a correction never conflicts
        assert team_triage(hub, "p1")[1:] == ("question", 2)
        bob = TeamDesk(team_db, Store(tmp_path / "bob.db"), "bob")
        team_replica.pull(hub, bob.store)
        assert cached_triage(bob.store, "p1")[1:] == ("question", 2)


def test_only_a_team_member_corrects_and_an_unknown_post_says_so(team_db: str) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        add_post(hub, "p1")
        with pytest.raises(UserError, match="zed is not an active member"):
            corrections.correct(hub, "demo", "p1", "zed", sentiment_label="negative")
        with pytest.raises(UserError, match="no post demo:nope"):
            corrections.correct(hub, "demo", "nope", "ann", sentiment_label="negative")
        assert corrections.correct(hub, "demo", "p1", "ann", intent="praise")
        assert not corrections.correct(hub, "demo", "p1", "ann", intent="praise")  # nothing new to carry
        assert team_triage(hub, "p1")[1:] == ("praise", 2)
