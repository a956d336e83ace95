"""Every way a post enters the cache (sync of any connector, the JSONL connector, `import`) survives one
bad item: the bad item is stored sanitised or quarantined, its neighbours are stored, the cursor moves."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from socialdesk.config import Settings
from socialdesk.connectors.base import Capabilities, Connector, FetchResult
from socialdesk.connectors.jsonl import JsonlConnector
from socialdesk.models import Author, Post
from socialdesk.services.jsonl_io import import_jsonl
from socialdesk.services.rules import Triager
from socialdesk.services.sync import Source, SourceState, sync_source
from socialdesk.store import Store
from tests.hostile.corpus import BAD_FOLLOWERS, BAD_TIMES, HOSTILE_TEXT
from tests.hostile.tally import TALLY

GOOD_TIME = 1_700_000_000.0


def good(native_id: str) -> Post:
    return Post("hostile", native_id, Author(f"a-{native_id}", f"user{native_id}"), "fine", GOOD_TIME)


def deep(levels: int) -> dict[str, Any]:
    """A dict nested `levels` deep, built without recursion."""
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


def hostile_posts() -> list[tuple[str, Post]]:
    """(name, post) for every hostile text in every text field, and every value out of range."""
    cases: list[tuple[str, Post]] = []
    for name, text in HOSTILE_TEXT.items():
        for where in ("text", "handle", "display_name", "url", "author_url", "content_warning", "raw"):
            post = good(f"bad-{len(cases)}")
            if where == "text":
                post.text = text
            elif where == "handle":
                post.author.handle = text
            elif where == "display_name":
                post.author.display_name = text
            elif where == "author_url":
                post.author.url = text
            elif where == "raw":
                post.raw = {"payload": text, text[:50]: [text[:50]]}
            else:
                setattr(post, where, text)
            cases.append((f"{name} in {where}", post))
    for name, value in BAD_TIMES.items():
        post = good(f"bad-{len(cases)}")
        post.created_at = value  # type: ignore[assignment]
        cases.append((f"created_at {name}", post))
    for name, value in BAD_FOLLOWERS.items():
        post = good(f"bad-{len(cases)}")
        post.author.followers = value  # type: ignore[assignment]
        cases.append((f"followers {name}", post))
    post = good(f"bad-{len(cases)}")
    post.raw = deep(100_000)
    cases.append(("raw nested 100k deep", post))
    post = good(f"bad-{len(cases)}")
    post.native_id = "surrogate-id-\ud800"
    cases.append(("lone surrogate in the native id", post))
    return cases


class Scripted(Connector):
    """A connector that delivers the pages it is given, as a plugin might."""

    name = "hostile"
    capabilities = Capabilities()

    def __init__(self, pages: list[list[Post]]) -> None:
        super().__init__("acct")
        self.pages = pages

    def fetch(self, cursor: str | None) -> FetchResult:
        index = int(cursor or 0)
        return FetchResult(posts=self.pages[index], cursor=str(index + 1), more=index + 1 < len(self.pages))


def stored_ids(store: Store) -> set[str]:
    return {row[0] for row in store.conn.execute("SELECT native_id FROM posts")}


def quarantined(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0])


def account_for(store: Store, name: str, bad: Post, before: tuple[set[str], int]) -> None:
    """The bad item is stored or quarantined: it never vanishes, nor is it silently dropped."""
    ids, count = before
    assert stored_ids(store) - ids or quarantined(store) > count, f"{name}: the bad item vanished"


@pytest.mark.parametrize(("name", "bad"), hostile_posts(), ids=lambda v: v if isinstance(v, str) else "")
def test_sync_stores_the_neighbours_of_a_bad_post_and_moves_on(store: Store, name: str, bad: Post) -> None:
    TALLY.case()
    before = (stored_ids(store), quarantined(store))
    pages = [[good("n1"), bad, good("n2")], [good("n3")]]
    try:
        report = sync_source(store, Source("hostile", Scripted(pages)))
    except BaseException:
        TALLY.tracebacks += 1
        raise
    missing = {"n1", "n2", "n3"} - stored_ids(store)
    TALLY.lost += len(missing)
    assert report.state == SourceState.OK, report.message
    assert not missing, f"{name}: neighbours lost: {missing}"
    assert store.get_cursor("hostile") == "2"
    account_for(store, name, bad, before)


def test_refused_values_are_quarantined_with_the_reason(store: Store) -> None:
    bad = good("late")
    bad.created_at = 1e20
    report = sync_source(store, Source("hostile", Scripted([[good("a"), bad]])))
    assert report.quarantined == 1 and stored_ids(store) == {"a"}
    ((error, raw),) = store.conn.execute("SELECT error, raw FROM quarantine").fetchall()
    assert "created_at 1e+20 is outside 1970..2100" in error and '"native_id": "late"' in raw


def test_a_lone_surrogate_is_replaced_and_the_post_kept(store: Store) -> None:
    bad = good("s")
    bad.author.handle = "eve\ud800"
    bad.text = "order \udfff lost"
    sync_source(store, Source("hostile", Scripted([[bad]])))
    row = store.conn.execute("SELECT author_handle, text FROM posts WHERE native_id = 's'").fetchone()
    assert row == ("eve\ufffd", "order \ufffd lost")


def test_the_workspace_triage_survives_the_corpus(store: Store) -> None:
    """Triage (rules, sentiment, intent) runs on what the boundary admitted: it must not fail either."""
    triage = Triager.from_settings(Settings())
    posts = [post for _, post in hostile_posts()]
    TALLY.case(len(posts))
    report = sync_source(store, Source("hostile", Scripted([[good("n1"), *posts, good("n2")]])), triage)
    assert report.state == SourceState.OK, report.message
    assert {"n1", "n2"} <= stored_ids(store)


# -- JSONL: `socialdesk import` and the jsonl connector ------------------------------------------------


def good_line(native_id: str) -> str:
    return json.dumps(
        {
            "network": "hostile",
            "id": native_id,
            "author": {"handle": "ok"},
            "text": "fine",
            "created_at": 1.7e9,
        }
    )


def hostile_lines() -> list[tuple[str, str]]:
    """(name, line) for every hostile text in every field, out-of-range values and broken lines."""
    lines: list[tuple[str, str]] = []

    def line(label: str, data: dict[str, Any], **author: Any) -> None:
        record = {
            "network": "hostile",
            "id": f"bad-{len(lines)}",
            "author": {"handle": "eve", **author},
            "text": "x",
            "created_at": "2024-05-01T00:00:00Z",
            **data,
        }
        lines.append((label, json.dumps(record)))  # json.dumps writes lone surrogates as \\ud800

    for name, text in HOSTILE_TEXT.items():
        line(f"{name} in text", {"text": text})
        line(f"{name} in handle", {}, handle=text or "x")
        line(f"{name} in name", {}, name=text)
        line(f"{name} in url", {"url": text})
        line(f"{name} in raw", {"raw": {"t": text}})
        line(f"{name} in account", {"account": text})
    for name, value in BAD_TIMES.items():
        line(f"created_at {name}", {"created_at": value})
    for name, value in BAD_FOLLOWERS.items():
        line(f"followers {name}", {}, followers=value)
    line("created_at year 99999 as text", {"created_at": "99999-01-01T00:00:00Z"})
    line("created_at 10^400", {"created_at": 10**400})
    huge = json.loads(good_line("huge").replace('"huge"', "0"))
    lines.append(("id as a 5000-digit number", json.dumps(huge).replace('"id": 0', '"id": 1' + "0" * 5000)))
    lines.append(("JSON nested 100k deep", "[" * 100_000 + "]" * 100_000))
    lines.append(("object nested 100k deep", '{"a":' * 100_000 + "1" + "}" * 100_000))
    lines.append(("truncated JSON", good_line("t")[:-10]))
    lines.append(("not an object", "[1, 2, 3]"))
    lines.append(("binary garbage", "\x00\x01\x02\xff\xfe garbage \x1b[2J"))
    lines.append(("invalid UTF-8 (decoded as replacement)", "\ufffd\ufffd"))
    lines.append(("bare NaN", "NaN"))
    return lines


def write_corpus(path: Path, extra: list[tuple[str, str]] | None = None) -> tuple[list[str], int]:
    """A JSONL file: a good line before and after each hostile one. Returns the good ids and bad count."""
    bad = extra if extra is not None else hostile_lines()
    good_ids: list[str] = []
    with path.open("w", encoding="utf-8", errors="surrogatepass") as fh:
        for index, (_, text) in enumerate(bad):
            for native_id in (f"g{index}a", f"g{index}b"):
                good_ids.append(native_id)
                if native_id.endswith("a"):
                    fh.write(good_line(native_id) + "\n" + text + "\n")
                else:
                    fh.write(good_line(native_id) + "\n")
    return good_ids, len(bad)


def test_import_keeps_every_good_line_beside_each_bad_one(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    good_ids, bad = write_corpus(path)
    TALLY.case(bad)
    try:
        report = import_jsonl(store, path)
    except BaseException:
        TALLY.tracebacks += 1
        raise
    missing = set(good_ids) - stored_ids(store)
    TALLY.lost += len(missing)
    assert not missing
    assert report.lines == len(good_ids) + bad
    # Each bad line is either stored (sanitised) or quarantined, never lost without a trace.
    bad_stored = len(stored_ids(store)) - len(good_ids)
    assert bad_stored + report.quarantined == bad


@pytest.mark.parametrize(("name", "line"), hostile_lines(), ids=lambda v: v if len(v) < 80 else "")
def test_import_one_bad_line_in_a_batch(store: Store, tmp_path: Path, name: str, line: str) -> None:
    """One bad line among good ones in the same batch: the batch is stored (it was lost whole before)."""
    TALLY.case()
    path = tmp_path / "one.jsonl"
    good_ids, _ = write_corpus(path, [(name, line)])
    report = import_jsonl(store, path)
    missing = set(good_ids) - stored_ids(store)
    TALLY.lost += len(missing)
    assert not missing and report.inserted + report.quarantined >= len(good_ids)


def test_the_jsonl_connector_moves_past_bad_lines(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "follow.jsonl"
    good_ids, bad = write_corpus(path)
    TALLY.case(bad)
    connector = JsonlConnector("follow", {"path": str(path)})
    report = sync_source(store, Source("follow", connector))
    missing = set(good_ids) - stored_ids(store)
    TALLY.lost += len(missing)
    assert report.state == SourceState.OK, report.message
    assert not missing
    assert store.get_cursor("follow") == str(path.stat().st_size)


def test_stored_values_are_within_range(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    write_corpus(path)
    import_jsonl(store, path)
    for created_at, followers in store.conn.execute(
        "SELECT p.created_at, i.followers FROM posts p JOIN identities i ON i.customer_id = p.customer_id"
    ):
        assert math.isfinite(created_at) and 0 <= created_at < 4_102_444_800
        assert 0 <= followers < 2**63
