"""The JSONL line format, the JSONL connector, and import/export round trips through the store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from socialdesk.connectors.jsonl import JsonlConnector, LineError, parse_line
from socialdesk.services.jsonl_io import export_jsonl, import_jsonl, iter_export
from socialdesk.store import Store
from socialdesk.testing import sync

LINE = {
    "network": "trustpilot",
    "id": "r-1",
    "author": {"handle": "jane", "name": "Jane D", "followers": 3},
    "text": "Late again",
    "created_at": "2024-05-01T09:30:00Z",
    "url": "https://example.com/r-1",
}


def write(path: Path, *lines: object) -> Path:
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return path


def test_parse_line_fields() -> None:
    post = parse_line(json.dumps(LINE))
    assert post is not None
    assert (post.network, post.native_id, post.author.native_id, post.author.handle) == (
        "trustpilot",
        "r-1",
        "jane",
        "jane",
    )
    assert post.created_at == 1714555800.0 and post.kind == "mention" and post.raw == LINE
    assert parse_line("   ") is None and parse_line("# comment") is None


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("{not json", "not JSON"),
        ("[1]", "JSON object"),
        (json.dumps({**LINE, "author": "jane"}), "author"),
        (json.dumps({**LINE, "created_at": "soon"}), "created_at"),
        (json.dumps({k: v for k, v in LINE.items() if k != "id"}), "'id'"),
        (json.dumps({**LINE, "kind": "shout"}), "kind"),
    ],
)
def test_bad_lines_say_why(line: str, why: str) -> None:
    with pytest.raises(LineError, match=why):
        parse_line(line)


def test_import_is_idempotent_and_quarantines_bad_lines(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    path = write(tmp_path / "export.jsonl", LINE, {**LINE, "id": "r-2"}, "{oops", "")
    first = import_jsonl(store, path)
    assert (first.inserted, first.quarantined) == (2, 1)
    again = import_jsonl(store, path)
    assert (again.inserted, again.updated) == (0, 2)
    assert store.quarantine_counts() == {"import:export.jsonl": 1}  # the same bad line, kept once


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    source = Store(tmp_path / "a.db")
    lines = [
        {
            **LINE,
            "id": f"r-{i}",
            "in_reply_to": "r-0" if i else None,
            "conversation_id": "r-0",
            "kind": "reply" if i else "mention",
        }
        for i in range(1200)
    ]
    import_jsonl(
        source, write(tmp_path / "in.jsonl", *[{k: v for k, v in x.items() if v is not None} for x in lines])
    )
    out = io.StringIO()
    assert export_jsonl(source, out) == 1200
    target = Store(tmp_path / "b.db")
    report = import_jsonl(target, write(tmp_path / "out.jsonl", *out.getvalue().splitlines()))
    assert report.inserted == 1200 and report.quarantined == 0
    again = io.StringIO()
    export_jsonl(target, again)
    assert again.getvalue() == out.getvalue()


def test_export_pages_by_keyset(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    import_jsonl(store, write(tmp_path / "in.jsonl", *[{**LINE, "id": f"r-{i}"} for i in range(25)]))
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    assert len(list(iter_export(store, page=10))) == 25
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 4 and not any("OFFSET" in s for s in selects)


def test_connector_follows_a_growing_file(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.jsonl", LINE)
    store = Store(tmp_path / "t.db")
    connector = JsonlConnector("imports", {"path": str(path)})
    assert len(sync(connector, store, "jsonl")[0]) == 1
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**LINE, "id": "r-2"}) + "\n" + '{"partial": ')
    inserted, quarantined = sync(connector, store, "jsonl")
    assert len(inserted) == 1 and quarantined == 0  # the unfinished line waits for its newline
