"""The last good playbook: a broken file is refused with its error and triage keeps the version before it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from socialdesk.models import Post
from socialdesk.services.playbook_keeper import PlaybookKeeper
from socialdesk.store import Store

MakePost = Callable[..., Post]
GOOD = '[[rule]]\nname = "outage"\nkeywords = ["outage"]\ntag = "outage"\npriority = 3\n'
BROKEN = GOOD.replace("keywords", "keyword")


def write(path: Path, text: str) -> None:
    """Write and move the mtime on, as an editor's save does (a same-second rewrite must count too)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_broken_playbook_is_refused_and_the_last_good_one_kept(
    tmp_path: Path, store: Store, make_post: MakePost
) -> None:
    path = tmp_path / "pb.toml"
    write(path, GOOD)
    keeper = PlaybookKeeper(store, str(path), agent="dana")
    assert keeper.current().refused == ""
    write(path, BROKEN)
    state = keeper.current()
    assert "unknown key 'keyword'" in state.refused and "last good playbook" in state.refused
    assert state.triager.triage(make_post("outage again")).priority == 3
    # Another process on the same cache (a cron `sync --once`) falls back on the same version.
    again = PlaybookKeeper(store, str(path), agent="dana").current()
    assert "unknown key 'keyword'" in again.refused
    assert again.triager.triage(make_post("outage again")).priority == 3
    # Fixed: the new version is used at once.
    write(path, GOOD.replace("priority = 3", "priority = 2"))
    fixed = keeper.current()
    assert fixed.refused == "" and fixed.triager.triage(make_post("outage again")).priority == 2


def test_without_any_good_version_posts_are_still_triaged_without_rules(
    tmp_path: Path, store: Store, make_post: MakePost
) -> None:
    path = tmp_path / "pb.toml"
    write(path, BROKEN)
    state = PlaybookKeeper(store, str(path), agent="dana").current()
    assert "unknown key 'keyword'" in state.refused and "without rules" in state.refused
    assert state.triager.triage(make_post("outage again")).tags == ()


def test_a_missing_or_non_toml_file_is_refused_too(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "pb.toml"
    write(path, GOOD)
    keeper = PlaybookKeeper(store, str(path), agent="dana")
    keeper.current()
    write(path, "[[rule]\nname = ")
    assert "not valid TOML" in keeper.current().refused
    path.unlink()
    assert "playbook not found" in keeper.current().refused


def test_each_accepted_change_is_in_the_audit_log_with_who_and_a_diff(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "pb.toml"
    write(path, GOOD)
    keeper = PlaybookKeeper(store, str(path), agent="dana")
    keeper.current()
    keeper.current()  # unchanged: nothing new recorded
    write(path, BROKEN)
    keeper.current()  # refused: not a version
    write(path, GOOD.replace("priority = 3", "priority = 2"))
    PlaybookKeeper(store, str(path), agent="sam").current()
    rows = store.conn.execute("SELECT agent, action, detail FROM audit ORDER BY id").fetchall()
    assert [(a, act) for a, act, _ in rows] == [("dana", "playbook loaded"), ("sam", "playbook loaded")]
    first, second = (json.loads(d) for _, _, d in rows)
    assert first["source"] == str(path) and "+priority = 3" in first["diff"]
    assert "-priority = 3\n+priority = 2" in second["diff"]
