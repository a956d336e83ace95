"""Every command with each bad file or place: exit code != 0, one line on stderr, no traceback.

The places a cache can be in (garbage, truncated, corrupt, from a newer socialdesk, under a file,
unopenable, on a read-only mount, on a full disk) and the config and playbook files a user can get
wrong. A full disk and a read-only mount are real: a small tmpfs mounted for the test (root in CI),
else the test is skipped with the reason; the full-disk case also runs everywhere through SQLite's
own page limit (tests/hostile/test_places.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from socialdesk.cli import main
from socialdesk.models import Author, Post
from socialdesk.store import Store
from tests.hostile.tally import TALLY

GOOD_LINE = {"network": "t", "id": "1", "author": {"handle": "a"}, "text": "x", "created_at": 1.7e9}

# Commands that read or write the cache.
CACHE_COMMANDS: list[list[str]] = [
    ["export"],
    ["import", "{good}"],
    ["reply", "1", "--text", "hi", "--yes"],
    ["outbox", "list"],
    ["outbox", "flush"],
    ["rules", "test"],
    ["audit"],
    ["doctor"],
    ["sync", "--once"],
]
# Commands that only read the config (every command reads it first).
CONFIG_COMMANDS: list[list[str]] = [*CACHE_COMMANDS, ["connectors"], ["accounts", "list"]]


def real_cache(path: Path, posts: int = 50) -> Path:
    store = Store(path)
    store.upsert_posts(
        Post("demo", str(i), Author(f"a{i}", f"user{i}"), "help " * 20, 1.7e9 + i, "demo")
        for i in range(posts)
    )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def garbage(tmp: Path) -> Path:
    path = tmp / "garbage.db"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def truncated(tmp: Path) -> Path:
    path = real_cache(tmp / "truncated.db", posts=500)
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    return path


def corrupt(tmp: Path) -> Path:
    """The schema page overwritten (damage in a page no command reads shows when one reads it)."""
    path = real_cache(tmp / "corrupt.db", posts=500)
    with path.open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\xde\xad\xbe\xef" * 999)
    return path


def too_new(tmp: Path) -> Path:
    path = real_cache(tmp / "new.db")
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    return path


def under_a_file(tmp: Path) -> Path:
    (tmp / "a-file").write_text("x")
    return tmp / "a-file" / "cache.db"


def unopenable(tmp: Path) -> Path:
    path = tmp / "dangling.db"
    path.symlink_to(tmp / "missing-dir" / "cache.db")
    return path


def a_directory(tmp: Path) -> Path:
    path = tmp / "dir.db"
    path.mkdir()
    return path


BAD_CACHES: dict[str, Callable[[Path], Path]] = {
    "garbage": garbage,
    "truncated": truncated,
    "corrupt": corrupt,
    "schema too new": too_new,
    "path under a file": under_a_file,
    "unopenable path": unopenable,
    "a directory": a_directory,
}


def run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        TALLY.tracebacks += 1
        raise
    out, err = capsys.readouterr()
    return code, out, err


def check(code: int, err: str) -> None:
    TALLY.case()
    TALLY.tracebacks += "Traceback" in err
    assert code != 0, err
    assert err.startswith("socialdesk: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected" not in err, err


@pytest.fixture
def good_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(GOOD_LINE) + "\n")
    return path


def _plain(command: list[str], good: Path) -> list[str]:
    return [a.replace("{good}", str(good)) for a in command]


def _args(command: list[str], good: Path) -> list[str]:
    """The command, with a config whose one account follows `good` (so `sync` has work to do)."""
    config = good.parent / "with-account.toml"
    config.write_text(f"[[accounts]]\nname = 'file'\nconnector = 'jsonl'\npath = {json.dumps(str(good))}\n")
    return ["--config", str(config), *(a.replace("{good}", str(good)) for a in command)]


@pytest.mark.parametrize("bad", BAD_CACHES)
@pytest.mark.parametrize("command", CACHE_COMMANDS, ids=" ".join)
def test_a_bad_cache_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_jsonl: Path, bad: str, command: list[str]
) -> None:
    db = BAD_CACHES[bad](tmp_path)
    code, _, err = run(capsys, ["--db", str(db), *_args(command, good_jsonl)])
    check(code, err)
    assert str(db) in err


def test_schema_too_new_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, ["--db", str(too_new(tmp_path)), "doctor"])
    assert code == 1 and "newer than this socialdesk understands" in err and err.count("\n") == 1


def socialdesk_process(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SOCIALDESK_CONFIG_DIR": str(home / "config"),
        "SOCIALDESK_DATA_DIR": str(home / "data"),
        "SOCIALDESK_STATE_DIR": str(home / "state"),
    }
    return subprocess.run(
        [sys.executable, "-m", "socialdesk", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.mark.parametrize("bad", BAD_CACHES)
@pytest.mark.parametrize("desk", [[], ["demo"]], ids=["desk", "demo"])
def test_the_desk_on_a_bad_cache_is_one_line(tmp_path: Path, bad: str, desk: list[str]) -> None:
    """The desk itself (the console script's fast path and `demo`) refuses before drawing anything."""
    db = BAD_CACHES[bad](tmp_path)
    done = socialdesk_process("--db", str(db), "--offline", *desk, home=tmp_path)
    check(done.returncode, done.stderr)


# -- config and playbook files --------------------------------------------------------------------

BAD_CONFIGS: dict[str, str | bytes] = {
    "binary": bytes(range(256)) * 8,
    "not TOML": "[desk\nagent = ",
    "nested 100k deep": "a = " + "[" * 100_000,
    "sync_interval = -5": "[desk]\nsync_interval = -5\n",
    "sync_interval = inf": "[desk]\nsync_interval = inf\n",
    "undo_seconds = inf": "[desk]\nundo_seconds = inf\n",
    "undo_seconds = nan": "[desk]\nundo_seconds = nan\n",
    "an SLA of 10^30 minutes": "[sla]\nurgent = 1000000000000000000000000000000\n",
    "page_size = 10^30": "[[accounts]]\nname='m'\nconnector='mastodon'\nbase_url='https://m.example'\n"
    "page_size = 1000000000000000000000000000000\n",
    "a directory": "",
}


@pytest.mark.parametrize("bad", BAD_CONFIGS)
@pytest.mark.parametrize("command", CONFIG_COMMANDS, ids=" ".join)
def test_a_bad_config_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_jsonl: Path, bad: str, command: list[str]
) -> None:
    config = tmp_path / "config.toml"
    content = BAD_CONFIGS[bad]
    if bad == "a directory":
        config.mkdir()
    elif isinstance(content, bytes):
        config.write_bytes(content)
    else:
        config.write_text(content)
    code, _, err = run(
        capsys, ["--config", str(config), "--db", str(tmp_path / "c.db"), *_plain(command, good_jsonl)]
    )
    check(code, err)
    assert str(config) in err


def test_a_malformed_url_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[[accounts]]\nname = 'm'\nconnector = 'mastodon'\nbase_url = 'http://[::1'\n")
    for command in (["sync", "--once"], ["accounts", "test", "m"]):
        code, _, err = run(capsys, ["--config", str(config), "--db", str(tmp_path / "c.db"), *command])
        check(code, err)
        assert "base_url" in err and "not a valid URL" in err


@pytest.mark.parametrize("theme", ["neon", "\x1b]0;x\x07"])
def test_an_unknown_desk_theme_is_one_line(tmp_path: Path, theme: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[desk]\ntheme = {json.dumps(theme)}\n")
    done = socialdesk_process("--config", str(config), "--db", str(tmp_path / "c.db"), home=tmp_path)
    check(done.returncode, done.stderr)
    assert "desk.theme" in done.stderr and "\x1b" not in done.stderr


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n" + bytes(2000), b"[[rule]\n"],
    ids=["binary", "png", "toml"],
)
@pytest.mark.parametrize(
    "command", [["rules", "test"], ["import", "{good}"], ["sync", "--once"]], ids=" ".join
)
def test_a_bad_playbook_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good_jsonl: Path, content: bytes, command: list[str]
) -> None:
    playbook = tmp_path / "playbook.toml"
    playbook.write_bytes(content)
    config = tmp_path / "config.toml"
    config.write_text(f"[desk]\nplaybook = {json.dumps(str(playbook))}\n")
    code, _, err = run(
        capsys, ["--config", str(config), "--db", str(tmp_path / "c.db"), *_plain(command, good_jsonl)]
    )
    if command[0] == "rules":  # trying this playbook is the command: it fails
        check(code, err)
    else:  # sync and import keep working on the last good playbook (or none) and say so once
        TALLY.case()
        TALLY.tracebacks += "Traceback" in err
        assert err.count("\n") == 1 and "Traceback" not in err and "unexpected" not in err, err
    assert str(playbook) in err


def test_a_config_with_a_byte_order_mark_is_valid(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes("\ufeff[desk]\nagent = 'Ana'\n".encode())
    code, out, err = run(capsys, ["--config", str(config), "connectors"])
    assert code == 0 and not err and "demo" in out


def test_accounts_add_creates_the_named_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "new" / "config.toml"
    code, out, err = run(
        capsys,
        [
            "--config",
            str(config),
            "accounts",
            "add",
            "forum",
            "-c",
            "feeds",
            "-o",
            "url=https://f.example/rss",
        ],
    )
    assert code == 0, err
    assert "[[accounts]]" in config.read_text() and str(config) in out
    code, _, err = run(capsys, ["--config", str(tmp_path / "missing.toml"), "accounts", "list"])
    assert code == 1 and "config file not found" in err


def test_outbox_list_with_an_unknown_state_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, ["--db", str(tmp_path / "c.db"), "outbox", "list", "--state", "bogus"])
    check(code, err)
    assert "unknown state 'bogus'" in err and "queued" in err


# -- a read-only mount and a full disk (real ones) ----------------------------------------------------


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test, or a skip saying why there is none."""
    target = tmp_path / "mnt"
    target.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: the full-disk case runs through SQLite's page limit instead")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(target)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root (as in CI)")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _fill(folder: Path) -> None:
    with (folder / "filler").open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\1" * 4096)
        except OSError:
            pass


def _posts(db: Path) -> tuple[int, str]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0], conn.execute(
            "PRAGMA integrity_check"
        ).fetchone()[0]
    finally:
        conn.close()


def _big_jsonl(path: Path) -> Path:
    with path.open("w") as fh:
        for i in range(5000):
            fh.write(json.dumps({**GOOD_LINE, "id": f"b{i}", "text": "x" * 400}) + "\n")
    return path


@pytest.mark.parametrize("command", CACHE_COMMANDS, ids=" ".join)
def test_a_full_disk_is_one_line_and_the_cache_stays_intact(
    capsys: pytest.CaptureFixture[str], small_fs: Path, tmp_path: Path, command: list[str]
) -> None:
    db = real_cache(small_fs / "cache.db")
    before = _posts(db)
    _fill(small_fs)
    big = _big_jsonl(tmp_path / "big.jsonl")
    code, _, err = run(capsys, ["--db", str(db), *_args(command, big)])
    (small_fs / "filler").unlink()
    assert _posts(db) == before == (50, "ok")  # nothing lost, nothing half-written
    if code == 0:  # a command that only reads may still work on a full disk
        TALLY.case()
        return
    check(code, err)
    assert "the disk is full" in err and "intact" in err


@pytest.mark.parametrize("command", CACHE_COMMANDS, ids=" ".join)
def test_a_read_only_mount_is_one_line(
    capsys: pytest.CaptureFixture[str], small_fs: Path, good_jsonl: Path, command: list[str]
) -> None:
    db = real_cache(small_fs / "cache.db")
    done = subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only here ({done.stderr.strip()})")
    code, _, err = run(capsys, ["--db", str(db), *_args(command, good_jsonl)])
    if code == 0:  # reading a read-only cache is fine (export, doctor, audit ...)
        TALLY.case()
        return
    check(code, err)
    assert "read-only" in err
