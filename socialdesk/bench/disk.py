"""What the cache costs on disk per post, against the bytes of the posts' text and metadata themselves."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

NUMBER_BYTES = 8  # an integer or a float, as a program holds it


def payload_sql(conn: sqlite3.Connection) -> str:
    """SUM over the posts of each column's bytes: text as UTF-8, numbers as 8 bytes, NULL as none.

    Generated columns are left out: they are no data of their own.
    """
    columns = [r[1] for r in conn.execute("PRAGMA table_xinfo(posts)") if r[6] == 0]  # 0: stored column
    terms = [
        f"CASE typeof({c}) WHEN 'text' THEN length(CAST({c} AS BLOB)) WHEN 'blob' THEN length({c}) "
        f"WHEN 'null' THEN 0 ELSE {NUMBER_BYTES} END"
        for c in columns
    ]
    return f"SELECT COUNT(*), SUM({' + '.join(terms)}) FROM posts"


def cache_size(db: Path, top: int = 12) -> dict[str, Any]:
    """The file's used bytes per post, the posts' own bytes per post, and the largest tables and indexes.

    The file is read as it is (its write-ahead log, if any, is not counted); free pages are not counted.
    """
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        posts, payload = conn.execute(payload_sql(conn)).fetchone()
        page_size, pages, free = (
            conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count", "freelist_count")
        )
        parts: list[tuple[str, int]] = []
        with contextlib.suppress(sqlite3.OperationalError):  # SQLite built without the dbstat table
            parts = conn.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?", (top,)
            ).fetchall()
    finally:
        conn.close()
    used = (pages - free) * page_size  # a dropped index leaves free pages until the next VACUUM
    posts = max(1, int(posts or 0))
    return {
        "file_bytes": db.stat().st_size,
        "used_bytes": used,
        "posts": posts,
        "bytes_per_post": used / posts,
        "payload_bytes_per_post": (payload or 0) / posts,
        "largest": {name: round(bytes_ / posts, 1) for name, bytes_ in parts},  # bytes per post each
    }
