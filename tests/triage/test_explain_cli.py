"""`rules test --post` on a candidate playbook and `rules explain --json` with automations and languages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from socialdesk.commands.triage import register
from socialdesk.config import DeskSettings, Settings
from socialdesk.context import Context
from socialdesk.models import Post
from socialdesk.store import Store

MakePost = Callable[..., Post]

CANDIDATE = """
[[rule]]
name = "spanish"
lang = "es"
tag = "es"

[[automation]]
name = "late"
when = "unanswered"
after = "30m"
priority = 3
"""


def cli(tmp_path: Path, playbook: Path) -> Callable[..., object]:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Context(
            settings=Settings(desk=DeskSettings(playbook=str(playbook))), db_path=tmp_path / "t.db"
        )

    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=True)


def test_rules_test_post_runs_one_post_through_a_candidate_and_explain_shows_automations(
    tmp_path: Path, make_post: MakePost
) -> None:
    configured = tmp_path / "configured.toml"
    configured.write_text(
        '[[rule]]\nname = "anything"\nkeywords = ["pedido"]\ntag = "old"\n', encoding="utf-8"
    )
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(CANDIDATE, encoding="utf-8")
    store = Store(tmp_path / "t.db")
    store.upsert_posts(
        [make_post("mi pedido nunca llegó y nadie me responde", lang="", created_at=time.time() - 60)]
    )
    post_id = store.conn.execute("SELECT id FROM posts").fetchone()[0]
    run = cli(tmp_path, configured)

    tried = run("rules", "test", "--playbook", str(candidate), "--post", str(post_id))
    assert tried.exit_code == 0, tried.output  # type: ignore[attr-defined]
    assert "1. spanish: tags es" in tried.output and "old" not in tried.output  # type: ignore[attr-defined]
    assert "language es (detected)" in tried.output  # type: ignore[attr-defined]

    explained = run("rules", "explain", str(post_id), "--playbook", str(candidate), "--json")
    assert explained.exit_code == 0, explained.output  # type: ignore[attr-defined]
    data = json.loads(explained.stdout)  # type: ignore[attr-defined]
    assert [f["name"] for f in data["fired"]] == ["spanish"]
    (line,) = data["automations"]
    assert line.startswith("automation 'late' (no reply in 30m -> raise priority to 3): fires ")
    assert line.endswith(" if still unanswered")
