"""Imports JSONL files into the cache and exports stored posts as JSONL, streaming both ways.

The line format is documented in `socialdesk.connectors.jsonl`. Import reads line by line and
stores batches through `Store.upsert_posts` (re-importing a file duplicates nothing); lines that
break the format are quarantined under `import:<file name>`. Export walks the posts table by id
(keyset), a page at a time, so memory stays flat whatever the cache holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import msgspec

from socialdesk.connectors.admit import Refused, admit
from socialdesk.connectors.jsonl import LineError, parse_line, to_line
from socialdesk.errors import UserError
from socialdesk.models import Post
from socialdesk.store import Store
from socialdesk.store.ingest import store_posts

if TYPE_CHECKING:
    from socialdesk.services.sync import TriageFn

BATCH = 500
EXPORT_COLUMNS = (
    "id, network, native_id, account, author_native_id, author_handle, author_name, text, created_at, url, "
    "in_reply_to, conversation_id, kind, lang, is_ours, content_warning, raw"
)


class ImportReport(msgspec.Struct):
    """What an import did."""

    lines: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0


def import_jsonl(store: Store, path: Path, account: str = "", triage: TriageFn | None = None) -> ImportReport:
    """Store every post of a JSONL file; quarantine the lines that break the format or hold values the
    cache cannot (see connectors.admit). Posts are triaged as sync triages them.

    Args:
        triage: the workspace's triage (sentiment, intent, priority, SLA); None stores posts as new.

    Raises:
        UserError: the file cannot be read.
    """
    report = ImportReport()
    source = f"import:{path.name}"
    batch: list[Post] = []

    def flush() -> None:
        if batch:
            stored = store_posts(store, source, batch, triage(batch, store) if triage is not None else None)
            report.inserted += len(stored.inserted)
            report.updated += stored.updated
            report.quarantined += stored.quarantined
            batch.clear()

    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                report.lines += 1
                try:
                    post = parse_line(line, account)
                    if post is not None:
                        admit(post)
                except (LineError, Refused) as exc:
                    store.quarantine(source, f"line {number}: {exc}", line.rstrip("\n"))
                    report.quarantined += 1
                    continue
                if post is not None:
                    batch.append(post)
                if len(batch) >= BATCH:
                    flush()
            flush()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    return report


def iter_export(store: Store, include_raw: bool = False, page: int = 1000) -> Iterator[str]:
    """Every stored post as a JSONL line, oldest stored first (keyset by id, `page` rows at a time)."""
    last = 0
    conn = store.conn
    while True:
        rows = conn.execute(
            f"SELECT {EXPORT_COLUMNS} FROM posts WHERE id > ? ORDER BY id LIMIT ?", (last, page)
        ).fetchall()
        if not rows:
            return
        names = [c.strip() for c in EXPORT_COLUMNS.split(",")]
        for values in rows:
            row = dict(zip(names, values, strict=True))
            raw = json.loads(row.pop("raw") or "{}") if include_raw else None
            yield to_line(row, raw)
        last = rows[-1][0]


def export_jsonl(store: Store, out: TextIO, include_raw: bool = False) -> int:
    """Write every stored post to `out` as JSONL; return how many lines were written."""
    count = 0
    for line in iter_export(store, include_raw):
        out.write(line + "\n")
        count += 1
    return count
