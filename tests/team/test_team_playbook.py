"""The team's canned replies: one set in PostgreSQL, pushed by a supervisor, audited, in each desk's cache."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from socialdesk.errors import UserError
from socialdesk.services import team_playbook, team_replica
from socialdesk.services.team_desk import TeamDesk
from socialdesk.store import Store
from socialdesk.team.roles import NotAllowed
from tests.cli_run import run
from tests.team.seed import add_agents

pytestmark = pytest.mark.postgres

PLAYBOOK = """
[[macro]]
name = "apology"
key = "a"
description = "sorry for the wait"
text = "Sorry {customer.name}, we are on it."

[[macro]]
name = "order"
text = "Could you send us order {prompt:Order number}?"

[dm_template]
dm = "Hi {customer.name}, {agent.name} here."
public = "We sent you a DM."

[[rule]]
name = "refunds"
match = "refund"
set_priority = 2
"""


def playbook_file(tmp_path: Path, text: str = PLAYBOOK, name: str = "team.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def audited(hub: psycopg.Connection) -> list[tuple[str, dict[str, object]]]:
    rows = hub.execute("SELECT agent, detail FROM audit WHERE action = 'playbook.push' ORDER BY id")
    return [(str(a), dict(d)) for a, d in rows.fetchall()]


def test_a_supervisor_publishes_the_files_canned_replies_once_and_audited(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, sue="supervisor")
        pushed = team_playbook.push_file(hub, "sue", playbook_file(tmp_path))
        assert (pushed.version, pushed.macros) == (1, 2)
        assert pushed.left_out == ("rule",)  # the rules stay each desk's (and the hub's) own
        again = team_playbook.push_file(hub, "sue", playbook_file(tmp_path))
        assert again.version is None  # the same set again changes nothing
        row = hub.execute("SELECT macros, dm_template, pushed_by FROM playbooks").fetchall()
        assert len(row) == 1
        macros, dm_template, by = row[0]
        assert [m["name"] for m in macros] == ["apology", "order"] and by == "sue"
        assert dm_template == {"dm": "Hi {customer.name}, {agent.name} here.", "public": "We sent you a DM."}
        changed = PLAYBOOK.replace("we are on it", "we are looking into it").replace(
            'name = "order"', 'name = "parcel"'
        )
        assert team_playbook.push_file(hub, "sue", playbook_file(tmp_path, changed)).version == 2
        entries = audited(hub)
        assert [a for a, _ in entries] == ["sue", "sue"]
        assert entries[0][1]["added"] == ["apology", "order"]
        second = entries[1][1]
        assert (second["version"], second["added"], second["removed"], second["changed"]) == (
            2, ["parcel"], ["order"], ["apology"]
        )  # fmt: skip


def test_only_a_supervisor_may_publish_and_a_broken_file_publishes_nothing(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", ada="approver", sue="supervisor")
        for who in ("ann", "ada"):
            with pytest.raises(NotAllowed, match="needs the supervisor role"):
                team_playbook.push_file(hub, who, playbook_file(tmp_path))
        broken = playbook_file(tmp_path, PLAYBOOK.replace("{customer.name}, we", "{customer.nmae}, we"))
        with pytest.raises(
            UserError, match=r"team.toml: macro 'apology': unknown variable \{customer.nmae\}"
        ):
            team_playbook.push_file(hub, "sue", broken)
        with pytest.raises(UserError, match="has no canned replies"):
            team_playbook.push_file(
                hub, "sue", playbook_file(tmp_path, '[[rule]]\nname = "x"\nmatch = "y"\n')
            )
        assert hub.execute("SELECT count(*) FROM playbooks").fetchone() == (0,)
        assert audited(hub) == []


def test_every_desk_uses_the_teams_latest_set_from_its_cache_offline_too(
    team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", sue="supervisor")
        desk = TeamDesk(team_db, Store(tmp_path / "ann.db"), "ann")
        team_replica.pull(hub, desk.store)
        nothing = team_playbook.team_macros(desk.store)
        assert nothing.items == [] and "none published yet" in nothing.source
        team_playbook.push_file(hub, "sue", playbook_file(tmp_path))
        assert team_replica.pull(hub, desk.store).playbook is None  # the first set replaces none
        first = team_playbook.team_macros(desk.store)
        assert [m.name for m in first.items] == ["apology", "order"]
        assert first.get("order").prompts == ("Order number",)
        assert first.dm_text == "Hi {customer.name}, {agent.name} here."
        assert first.source == "the team playbook v1 (sue)"
        changed = PLAYBOOK.replace('name = "order"', 'name = "parcel"')
        team_playbook.push_file(hub, "sue", playbook_file(tmp_path, changed))
        assert team_replica.pull(hub, desk.store).playbook == (2, "sue")  # the desk says so
    # The team database is gone: the cache still holds the latest set, and a reopened cache too.
    reopened = Store(tmp_path / "ann.db")
    assert [m.name for m in team_playbook.team_macros(reopened).items] == ["apology", "parcel"]


def test_team_playbook_push_and_show_on_the_command_line(
    capsys: pytest.CaptureFixture[str], team_db: str, tmp_path: Path
) -> None:
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", sue="supervisor")
    config = tmp_path / "config.toml"
    config.write_text(f'[desk]\nagent = "sue"\n\n[team]\nurl = "{team_db}"\n', encoding="utf-8")
    path = playbook_file(tmp_path)
    code, out, err = run(capsys, "--config", str(config), "team", "playbook", "push", str(path))
    assert (code, err) == (0, ""), err
    assert out.splitlines() == [
        f"the team playbook is now v1: 2 canned replies and the DM template from {path}",
        "not published (each desk's and the hub's own playbook keep them): rule",
    ]
    code, out, _ = run(capsys, "--config", str(config), "team", "playbook", "push", str(path))
    assert code == 0 and out == "the team playbook v1 already holds these canned replies: nothing published\n"
    code, out, _ = run(capsys, "--config", str(config), "team", "playbook", "show")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("the team playbook v1, pushed by sue at ") and lines[0].endswith(
        f" from {path}"
    )
    assert lines[1:] == [
        "apology [a]  sorry for the wait",
        "order  Could you send us order {prompt:Order number}?",
    ]
    config.write_text(f'[desk]\nagent = "ann"\n\n[team]\nurl = "{team_db}"\n', encoding="utf-8")
    code, _, err = run(capsys, "--config", str(config), "team", "playbook", "push", str(path))
    assert (
        code == 1 and err.strip() == "socialdesk: error: ann is an agent: playbook needs the supervisor role"
    )


def test_the_payload_is_plain_json_the_desk_revalidates(team_db: str, tmp_path: Path) -> None:
    """A set written by another socialdesk version that this one cannot read is refused with why."""
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent")
        hub.execute(
            "INSERT INTO playbooks (macros, dm_template, source, sha256, pushed_by) "
            "VALUES (%s, '{}', 'x', '', 'sue')",
            (json.dumps([{"name": "hi", "text": "Hi", "colour": "red"}]),),
        )
        store = Store(tmp_path / "ann.db")
        team_replica.pull(hub, store)
    with pytest.raises(UserError, match="the team playbook v1 \\(sue\\): macro 'hi': unknown key 'colour'"):
        team_playbook.team_macros(store)


def test_socialdesk_reply_macro_on_a_team_desk_fills_the_teams_set_not_the_desks_file(
    team_db: str, tmp_path: Path
) -> None:
    from socialdesk.commands.reply import build_reply_text
    from socialdesk.config import DeskSettings, Settings, TeamSettings
    from socialdesk.context import Context
    from socialdesk.store.queries import get_post
    from tests.team.desk_seed import add_post

    own = playbook_file(tmp_path, '[[macro]]\nname = "apology"\ntext = "from this laptop only"\n', "own.toml")
    settings = Settings(desk=DeskSettings(agent="ann", playbook=str(own)), team=TeamSettings(url=team_db))
    ctx = Context(settings=settings, db_path=tmp_path / "ann.db")
    with psycopg.connect(team_db, autocommit=True) as hub:
        add_agents(hub, ann="agent", sue="supervisor")
        add_post(hub, "p1", handle="carla")
        team_playbook.push_file(hub, "sue", playbook_file(tmp_path))
        team_replica.pull(hub, ctx.store)
    post = get_post(ctx.store.conn, 1)
    assert post is not None
    text = build_reply_text(ctx, post, None, "apology", {})
    assert text == "Sorry Carla, we are on it."
