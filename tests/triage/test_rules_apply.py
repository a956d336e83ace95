"""`rules apply`: a fixed rule reaches the stored posts without deleting the cache; hand-made tags stay."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from socialdesk.commands import playbook as playbook_commands
from socialdesk.commands import rules_review as review_commands
from socialdesk.commands.triage import register
from socialdesk.config import DeskSettings, Settings, SlaSettings
from socialdesk.context import Context
from socialdesk.models import Post
from socialdesk.services.playbook import PlaybookFile
from socialdesk.services.rules import Triager
from socialdesk.services.rules_review import apply_review, dry_run
from socialdesk.store import Store

MakePost = Callable[..., Post]


def rules_playbook(*rules: dict[str, object]) -> Triager:
    return Triager.from_playbook(PlaybookFile("pb.toml", {"rule": list(rules)}), SlaSettings())


def test_apply_writes_what_the_dry_run_reviewed(store: Store, make_post: MakePost) -> None:
    typo = rules_playbook({"name": "outage", "keywords": ["outgae"], "tag": "outage", "priority": 3})
    posts = [make_post("outage again"), make_post("hello there")]
    store.upsert_posts(posts, typo.triage_many(posts, store))
    outage_id, hello_id = (r[0] for r in store.conn.execute("SELECT id FROM posts ORDER BY id"))
    store.conn.execute("INSERT INTO post_tags (post_id, tag) VALUES (?, 'called-back')", (outage_id,))
    fixed = rules_playbook({"name": "outage", "keywords": ["outage"], "tag": "outage", "priority": 3})
    review = dry_run(store, fixed, 0, diff=True)
    assert review["changed"] == 1
    assert apply_review(store, fixed, 0, "dana", "pb.toml") == 1
    row = store.conn.execute("SELECT priority, due_at FROM posts WHERE id = ?", (outage_id,)).fetchone()
    assert row[0] == 3 and row[1] == posts[0].created_at + 15 * 60
    tags = {r[0] for r in store.conn.execute("SELECT tag FROM post_tags WHERE post_id = ?", (outage_id,))}
    assert tags == {"outage", "called-back"}  # the agent's own tag stays
    assert dry_run(store, fixed, 0, diff=True)["changed"] == 0  # applied: nothing left to change
    (agent, detail) = store.conn.execute(
        "SELECT agent, detail FROM audit WHERE action = 'rules applied'"
    ).fetchone()
    assert agent == "dana" and json.loads(detail)["changed"] == 1
    assert hello_id != outage_id


def test_apply_takes_away_the_playbooks_own_tags_that_no_longer_hold(
    store: Store, make_post: MakePost
) -> None:
    broad = rules_playbook({"name": "billing", "keywords": ["order"], "tag": "billing", "queue": "billing"})
    posts = [make_post("where is my order")]
    store.upsert_posts(posts, broad.triage_many(posts, store))
    narrow = rules_playbook({"name": "billing", "keywords": ["refund"], "tag": "billing", "queue": "billing"})
    apply_review(store, narrow, 0, "dana", "pb.toml")
    assert store.conn.execute("SELECT COUNT(*) FROM post_tags").fetchone()[0] == 0


def test_rules_apply_command_shows_the_review_then_applies(
    tmp_path: Path, make_post: MakePost, monkeypatch: object
) -> None:

    pb = tmp_path / "pb.toml"
    pb.write_text('[[rule]]\nname = "outage"\nkeywords = ["outage"]\ntag = "outage"\npriority = 3\n')
    store = Store(tmp_path / "t.db")
    store.upsert_posts([make_post("outage again", created_at=time.time() - 60)])
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Context(settings=Settings(desk=DeskSettings(playbook=str(pb))), db_path=tmp_path / "t.db")

    register(app)
    playbook_commands.register(app)
    assert review_commands.rules_apply is not None
    runner = CliRunner()
    declined = runner.invoke(app, ["rules", "apply"], input="n\n")
    assert "outage" in declined.output and "1 posts would change" in declined.output
    assert store.conn.execute("SELECT priority FROM posts").fetchone()[0] == 1  # declined: unchanged
    done = runner.invoke(app, ["rules", "apply", "--yes"])
    assert done.exit_code == 0, done.output
    assert "re-triaged: 1 posts changed" in done.output
    assert store.conn.execute("SELECT priority FROM posts").fetchone()[0] == 3


def test_rules_explain_command_on_a_cached_post(tmp_path: Path, make_post: MakePost) -> None:

    pb = tmp_path / "pb.toml"
    pb.write_text(
        '[[rule]]\nname = "outage"\nkeywords = ["outage"]\ntag = "outage"\npriority = 3\nstop = true\n'
        '[[rule]]\nname = "all"\ntag = "seen"\n'
    )
    store = Store(tmp_path / "t.db")
    store.upsert_posts([make_post("outage \x1b[31magain")])
    post_id = store.conn.execute("SELECT id FROM posts").fetchone()[0]
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Context(settings=Settings(desk=DeskSettings(playbook=str(pb))), db_path=tmp_path / "t.db")

    register(app)
    assert review_commands.rules_explain is not None
    result = CliRunner().invoke(app, ["rules", "explain", str(post_id)])
    assert result.exit_code == 0, result.output
    assert "1. outage: tags outage; priority 3; stop yes" in result.output
    assert "stop: the 1 rule below was not evaluated (all)" in result.output
    assert "\x1b" not in result.output
    missing = CliRunner().invoke(app, ["rules", "explain", "999999"])
    assert missing.exit_code != 0 and "no inbound post 999999" in str(missing.exception)
