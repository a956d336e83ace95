"""A full disk without privileges, secrets in the quarantine and logs, imported posts triaged like synced
ones, the one mention rule, and a desk that crashes: logged, one line, exit code 1."""

from __future__ import annotations

import json
import os
import select
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from socialdesk import compose, crash
from socialdesk.cli import main
from socialdesk.config import Settings
from socialdesk.connectors.base import FetchResult, Quarantined
from socialdesk.models import Author, Post
from socialdesk.secrets import remember
from socialdesk.services.jsonl_io import import_jsonl
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, sync_source
from socialdesk.store import Store
from tests.hostile.tally import TALLY
from tests.hostile.test_ingest import Scripted


def line(native_id: str, text: str = "fine") -> str:
    return json.dumps(
        {"network": "t", "id": native_id, "author": {"handle": "a"}, "text": text, "created_at": 1.7e9}
    )


def test_a_full_cache_keeps_what_it_had_and_says_so(store: Store, tmp_path: Path) -> None:
    """SQLITE_FULL through SQLite's own page limit: works without privileges on any machine."""
    TALLY.case()
    path = tmp_path / "some.jsonl"
    path.write_text("".join(line(f"p{i}") + "\n" for i in range(20)))
    import_jsonl(store, path)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = tmp_path / "big.jsonl"
    big.write_text("".join(line(f"b{i}", "x" * 2000) + "\n" for i in range(500)))
    crash.using_cache(store.path)
    with pytest.raises(sqlite3.OperationalError) as raised:
        import_jsonl(store, big)
    assert store.conn.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 20
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    message = crash.explain(raised.value)
    assert message is not None and "the disk is full" in message and "intact" in message


def test_secrets_are_masked_in_the_quarantine_and_the_audit(store: Store) -> None:
    token = "tok-3f9a8b7c6d5e4f"
    remember(token)

    class Echoing(Scripted):
        def fetch(self, cursor: str | None) -> FetchResult:
            return FetchResult(
                [], "1", [Quarantined(f"bad item (auth {token})", json.dumps({"echo": token}))]
            )

    sync_source(store, Source("leaky", Echoing([])))
    bad = Post("t", "late", Author("a", "a"), f"token {token}", 1e20)
    sync_source(store, Source("leaky2", Scripted([[bad]])))
    store.audit("ana", "reply", None, text=f"sent with {token}")
    dumped = "\n".join(
        str(row) for table in ("quarantine", "audit") for row in store.conn.execute(f"SELECT * FROM {table}")
    )
    assert token not in dumped and "***" in dumped


def test_a_crash_log_masks_secrets(tmp_path: Path) -> None:
    token = "tok-0a1b2c3d4e5f6a"
    remember(token)
    try:
        raise RuntimeError(f"server said {token}")
    except RuntimeError as exc:
        line_ = crash.one_line(exc)
    log = Path(line_.split("details in ")[1].rstrip(")"))
    assert log.parent == Path(os.environ["SOCIALDESK_STATE_DIR"])
    assert token not in log.read_text() and token not in line_ and "RuntimeError" in log.read_text()


# -- issue 17 item 3: every way in goes through the same triage ------------------------------------------


COMPLAINT = "Your app is down again and I can't log in. Terrible service, fix it now! When will it be back?"


def _triage_of(store: Store) -> tuple[object, ...]:
    return tuple(
        store.conn.execute(
            "SELECT sentiment_label, intent, priority, due_at IS NOT NULL, status FROM posts "
            "WHERE native_id = 'c'"
        ).fetchone()
    )


def test_import_triages_as_sync_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    synced = Store(tmp_path / "synced.db")
    post = Post("t", "c", Author("a", "angry"), COMPLAINT, 1.7e9)
    sync_source(synced, Source("t", Scripted([[post]])), Triager.from_settings(Settings()))
    path = tmp_path / "c.jsonl"
    path.write_text(
        json.dumps({**json.loads(line("c")), "author": {"handle": "angry", "id": "a"}, "text": COMPLAINT})
    )
    db = tmp_path / "imported.db"
    with _no_exit():
        main(["--db", str(db), "import", str(path)])
    imported = Store(db)
    assert _triage_of(imported) == _triage_of(synced)
    label, intent, priority, has_sla, _ = _triage_of(imported)
    assert label == "negative" and intent and has_sla and isinstance(priority, int)


class _no_exit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is SystemExit and getattr(exc[1], "code", 1) in (0, None)


# -- issue 14 move 3: one mention rule -----------------------------------------------------------------


def test_mentions_already_typed_in_another_case_are_not_added_again() -> None:
    assert compose.with_prefix("@Bob ", "@bob thanks") == "@bob thanks"
    assert compose.with_prefix("@bob ", "thanks") == "@bob thanks"
    assert compose.reply_prefix("x", ["eve\x1b]0;pwned\x07"]) == "@eve "
    assert compose.reply_prefix("x", ["eve\u202emal"]) == "@evemal "


def test_socialdesk_reply_uses_the_same_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"
    store = Store(db)
    store.upsert_posts([Post("demo", "1", Author("a", "Bob"), "help", 1.7e9, "demo")])
    store.close()
    with _no_exit():
        main(["--db", str(db), "reply", "demo:1", "--text", "@bob on it", "--yes", "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert row["text"] == "@bob on it"


# -- a crash is never silent -------------------------------------------------------------------------------


def test_a_desk_that_crashes_logs_it_says_one_line_and_exits_1(tmp_path: Path) -> None:
    """A row stored before values were checked (created_at 1e20) crashes the customer pane: the desk
    stops, the log holds the traceback, the terminal gets one line, the exit code is 1."""
    ptyprocess = pytest.importorskip("ptyprocess")
    TALLY.case()
    db = tmp_path / "legacy.db"
    store = Store(db)
    store.upsert_posts([Post("demo", "1", Author("a", "a"), "hi", 1.7e9, "demo")])
    store.conn.execute("UPDATE posts SET created_at = 1e20")
    store.conn.execute("UPDATE customers SET first_seen = 1e20")
    store.conn.execute("UPDATE identities SET first_seen = 1e20")
    store.close()
    state = tmp_path / "state"
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "SOCIALDESK_STATE_DIR": str(state),
        "SOCIALDESK_DATA_DIR": str(tmp_path / "data"),
        "SOCIALDESK_CONFIG_DIR": str(tmp_path / "config"),
    }
    proc = ptyprocess.PtyProcess.spawn(
        [sys.executable, "-m", "socialdesk", "--db", str(db), "--offline"], dimensions=(40, 140), env=env
    )
    output = b""
    deadline = time.monotonic() + 60
    while proc.isalive() and time.monotonic() < deadline:
        if select.select([proc.fd], [], [], 0.2)[0]:
            try:
                output += proc.read(65536)
            except EOFError:
                break
    if proc.isalive():
        proc.terminate(force=True)
        pytest.fail("the desk did not stop on the error")
    proc.wait()
    text = output.decode("utf-8", "replace")
    TALLY.tracebacks += "Traceback" in text
    assert proc.exitstatus == 1
    assert "Traceback" not in text
    assert "socialdesk: error: the desk stopped: unexpected OverflowError" in text
    (log,) = state.glob("crash-*.log")
    assert str(log) in text and "Traceback" in log.read_text()


def test_export_writes_every_line_even_beside_a_legacy_out_of_range_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows stored before values were checked: export writes them all (the date as stored)."""
    TALLY.case()
    db = tmp_path / "legacy.db"
    store = Store(db)
    store.upsert_posts([Post("t", str(i), Author("a", "a"), "hi", 1.7e9 + i) for i in range(3)])
    store.conn.execute("UPDATE posts SET created_at = 1e20 WHERE native_id = '1'")
    store.close()
    with _no_exit():
        main(["--db", str(db), "export"])
    lines = [json.loads(line_) for line_ in capsys.readouterr().out.splitlines()]
    assert [row["id"] for row in lines] == ["0", "1", "2"] and lines[1]["created_at"] == 1e20


def test_a_follow_up_found_by_a_thread_refresh_is_triaged_as_sync_triages(tmp_path: Path) -> None:
    """The fifth way in (opening a thread asks the network for follow-ups) uses the same triage."""
    from socialdesk.services.threads import refresh_thread
    from socialdesk.store import queries

    triage = Triager.from_settings(Settings())
    synced = Store(tmp_path / "synced.db")
    follow_up = Post("t", "c", Author("a", "angry"), COMPLAINT, 1.7e9 + 10, conversation_id="root")
    sync_source(synced, Source("t", Scripted([[follow_up]])), triage)

    class Thread(Scripted):
        def refresh_thread(self, native_id: str) -> FetchResult:
            again = Post("t", "c", Author("a", "angry"), COMPLAINT, 1.7e9 + 10, conversation_id="root")
            return FetchResult([again], None)

    refreshed = Store(tmp_path / "refreshed.db")
    refreshed.upsert_posts([Post("t", "root", Author("a", "angry"), "hello", 1.7e9, conversation_id="root")])
    focus = queries.get_post_by_native(refreshed.conn, "t", "root")
    assert focus is not None
    refresh_thread(refreshed, Thread([]), focus, triage)
    assert _triage_of(refreshed) == _triage_of(synced)
