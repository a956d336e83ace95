"""No attacker byte reaches a terminal through the CLI: every command's output over a cache full of
hostile posts, run as the real `socialdesk` process; and what `reply` sends is what its review showed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from socialdesk.models import Author, Post
from socialdesk.store import Store
from tests.hostile.corpus import HOSTILE_TEXT, attacker_bytes
from tests.hostile.tally import TALLY

# Small enough to keep every command quick; the 1 MB text is carried by the ingest tests.
TEXTS = {k: v for k, v in HOSTILE_TEXT.items() if len(v) < 100_000}
OSC_TITLE = "\x1b]0;pwned\x07"


def _storable(text: str) -> str:
    return text.encode("utf-8", "replace").decode()


def hostile_cache(path: Path) -> None:
    """A cache whose posts, authors, accounts, quarantine and audit carry the corpus."""
    store = Store(path)
    posts = []
    for index, text in enumerate(TEXTS.values()):
        posts.append(
            Post(
                network="demo",
                native_id=f"h{index}",
                author=Author(f"a{index}", f"eve{index}{text[:40]}", display_name=text[:200], url=text[:80]),
                text=text,
                created_at=1_700_000_000.0 + index,
                account="demo",
                url=text[:80],
                content_warning=text[:40],
                raw={"payload": text},
            )
        )
    posts.append(Post("demo", "osc", Author("a-osc", f"eve{OSC_TITLE}"), "help", 1_700_000_100.0, "demo"))
    for index, text in enumerate(list(TEXTS.values())[:12]):  # a JSONL source names its own network
        posts.append(Post(f"net{text[:30]}", f"n{index}", Author("n", "n"), "hi", 1_700_000_000.0, "demo"))
    for post in posts:  # as the boundary stores them (lone surrogates replaced); works without it
        for owner, name in ((post, "text"), (post, "url"), (post, "content_warning"), (post, "network")):
            setattr(owner, name, _storable(getattr(owner, name)))
        for name in ("handle", "display_name", "url"):
            setattr(post.author, name, _storable(getattr(post.author, name)))
        post.raw = {"payload": post.text}
    store.upsert_posts(posts)
    for text in (_storable(t) for t in TEXTS.values()):
        store.quarantine(f"src{text[:30]}", f"error {text[:60]}", text[:200])
        store.audit(f"agent{text[:20]}", "note", 1, text=text[:100])
    store.close()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    hostile_cache(path)
    return path


def socialdesk(*args: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "SOCIALDESK_CONFIG_DIR": str(home / "config"),
        "SOCIALDESK_DATA_DIR": str(home / "data"),
        "SOCIALDESK_STATE_DIR": str(home / "state"),
        "SOCIALDESK_SECRETS": "file",
    }
    return subprocess.run(
        [sys.executable, "-m", "socialdesk", *args],
        input=stdin.encode(),
        capture_output=True,
        env=env,
        timeout=120,
    )


COMMANDS = [
    ["export"],
    ["export", "--format", "jsonl"],
    ["reply", "demo:osc", "--text", "hi"],
    ["reply", "demo:h5", "--text", "hi"],
    ["reply", "demo:h6", "--text", "hi", "--yes", "--json"],
    ["reply", "demo:h7", "--text", "hi", "--yes"],
    ["outbox", "list"],
    ["outbox", "list", "--json"],
    ["doctor"],
    ["audit"],
    ["audit", "--json"],
    ["rules", "test"],
    ["rules", "test", "--json"],
    ["accounts", "list"],
    ["connectors"],
    ["report", "--since", "2000-01-01", "--by", "network"],
    ["report", "--since", "2000-01-01", "--by", "agent", "--format", "json"],
    ["report", "--since", "2000-01-01", "--by", "network", "--format", "csv"],
    ["report", "--since", "2000-01-01", "--by", "network", "--format", "md"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_attacker_byte_is_printed(cache: Path, tmp_path: Path, command: list[str]) -> None:
    TALLY.case()
    done = socialdesk("--db", str(cache), "--offline", *command, home=tmp_path, stdin="n\n")
    out = done.stdout.decode("utf-8", "surrogateescape") + done.stderr.decode("utf-8", "surrogateescape")
    found = attacker_bytes(out)
    TALLY.attacker_bytes += found
    TALLY.tracebacks += "Traceback" in out
    assert "Traceback" not in out and "unexpected" not in out, out[-2000:]
    assert found == 0, [line for line in out.splitlines() if attacker_bytes(line)][:3]


def test_export_to_stdout_escapes_controls_and_round_trips(cache: Path, tmp_path: Path) -> None:
    done = socialdesk("--db", str(cache), "export", home=tmp_path)
    lines = done.stdout.decode("utf-8").splitlines()
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in lines}
    for name in ("bidi override (Trojan Source)", "OSC title (BEL)", "DEL and every C1 control"):
        assert texts[f"h{list(TEXTS).index(name)}"] == HOSTILE_TEXT[name]  # escaped, not lost


def test_reply_sends_exactly_what_the_review_showed(cache: Path, tmp_path: Path) -> None:
    """The author's handle carries an OSC title sequence: the review and the sent text both show it
    cleaned, and they are the same text."""
    db = tmp_path / "reply.db"
    db.write_bytes(cache.read_bytes())
    review = socialdesk(
        "--db", str(db), "--offline", "reply", "demo:osc", "--text", "hi", home=tmp_path, stdin="n\n"
    )
    shown = review.stdout.decode().split("---\n", 1)[1].split("\nSend?")[0]
    sent = socialdesk(
        "--db", str(db), "--offline", "reply", "demo:osc", "--text", "hi", "--yes", "--json", home=tmp_path
    )
    (row,) = json.loads(sent.stdout)
    assert row["text"] == shown == "@eve hi"
