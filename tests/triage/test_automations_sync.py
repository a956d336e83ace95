"""Headless `sync` runs the playbook's automations after each round (and wakes snoozes), once each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from socialdesk.store import Store
from tests.triage.test_playbook_fallback import run, write

PLAYBOOK = """
[[automation]]
name = "late"
when = "unanswered"
after = "1m"
notify = "desk"
priority = 3
"""


def test_sync_once_fires_automations_and_wakes_snoozes_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    playbook, db, config = tmp_path / "pb.toml", tmp_path / "d.db", tmp_path / "c.toml"
    config.write_text(f"[desk]\nplaybook = {str(playbook)!r}\n", encoding="utf-8")
    write(playbook, PLAYBOOK)
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0, err
    match = re.search(r"^automations: 'late' fired for (\d+) conversations$", out, re.M)
    assert match, out
    store = Store(db)
    fired = store.conn.execute("SELECT COUNT(*) FROM automation_runs WHERE automation = 'late'").fetchone()[0]
    assert fired == int(match.group(1)) > 0
    audited = store.conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'automation'").fetchone()[0]
    assert audited == fired
    # A snooze that ran out wakes in the next round; nothing fires twice.
    store.conn.execute(
        "UPDATE posts SET status = 'snoozed', snoozed_until = 1 WHERE id = (SELECT MIN(id) FROM posts)"
    )
    store.conn.commit()
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0, err
    assert "1 snoozed post woke" in out
    again = store.conn.execute("SELECT COUNT(*) FROM automation_runs").fetchone()[0]
    assert again == store.conn.execute("SELECT COUNT(DISTINCT post_id) FROM automation_runs").fetchone()[0]


def test_sync_on_a_team_desk_leaves_automations_and_snoozes_to_the_hub(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    playbook, db, config = tmp_path / "pb.toml", tmp_path / "d.db", tmp_path / "c.toml"
    # sync never connects to the team database: the URL needs no server here
    config.write_text(
        f"[desk]\nplaybook = {str(playbook)!r}\n\n[team]\nurl = 'postgresql://ann@127.0.0.1:9/team'\n\n"
        "[[accounts]]\nname = 'd'\nconnector = 'demo'\n",
        encoding="utf-8",
    )
    write(playbook, PLAYBOOK)
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0, err
    assert "automations:" not in out
    store = Store(db)
    assert store.conn.execute("SELECT COUNT(*) FROM automation_runs").fetchone()[0] == 0
    assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] > 0  # posts the pass would fire for
    store.conn.execute(
        "UPDATE posts SET status = 'snoozed', snoozed_until = 1 WHERE id = (SELECT MIN(id) FROM posts)"
    )
    store.conn.commit()
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0, err
    assert "woke" not in out
    assert store.conn.execute("SELECT COUNT(*) FROM posts WHERE status = 'snoozed'").fetchone()[0] == 1
