"""A typo in the playbook never stops intake: `sync` and the desk run on the last good version and say so."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from socialdesk.store import Store
from tests.cli_run import run

GOOD = '[[rule]]\nname = "demo posts"\naccount = "demo"\ntag = "seen-by-rule"\n'
BROKEN = GOOD.replace("account =", "accounts =")


def write(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_sync_keeps_storing_posts_on_the_last_good_playbook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    playbook, db, config = tmp_path / "pb.toml", tmp_path / "d.db", tmp_path / "c.toml"
    config.write_text(f"[desk]\nplaybook = {str(playbook)!r}\n", encoding="utf-8")
    write(playbook, GOOD)
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0 and out.startswith("demo: ok"), err
    # Start again from an empty cache but the same last good playbook, with the file now broken.
    store = Store(db)
    store.conn.execute("DELETE FROM post_tags")
    store.conn.execute("DELETE FROM posts")
    store.conn.execute("DELETE FROM cursors")
    write(playbook, BROKEN)
    code, out, err = run(capsys, "--config", str(config), "--db", str(db), "sync", "--once")
    assert code == 0 and out.startswith("demo: ok"), (out, err)
    assert err.startswith("socialdesk: warning: playbook refused: ") and err.count("\n") == 1
    assert "unknown key 'accounts'" in err and "running on the last good playbook" in err
    stored = store.conn.execute("SELECT COUNT(*) FROM posts WHERE is_ours = 0").fetchone()[0]
    untagged = store.conn.execute(
        "SELECT COUNT(*) FROM posts p WHERE is_ours = 0 AND NOT EXISTS "
        "(SELECT 1 FROM post_tags t WHERE t.post_id = p.id AND t.tag = 'seen-by-rule')"
    ).fetchone()[0]
    assert stored > 100 and untagged == 0
