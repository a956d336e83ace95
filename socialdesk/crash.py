"""Turns an error nobody caught into one line for the user and a log file in the state directory.

Known failures of the places we read and write (a damaged cache, a full disk, a read-only mount,
a file where a directory should be) get a sentence saying what and where; anything else is
written, secrets masked, to `crash-*.log` under `locations.state_dir()`, whose path the line names.
"""

from __future__ import annotations

import os
import sqlite3
import time
import traceback
from pathlib import Path

_cache: Path | None = None  # the cache the run opened, named in database errors


def using_cache(path: Path | str) -> None:
    """Remember which cache this run uses, so its errors can name it."""
    global _cache
    _cache = Path(path)


def _place(path: Path | None) -> str:
    """ "full" or "read-only" when that is the state of the file system holding `path`, else ""."""
    if path is None:
        return ""
    folder = path.parent if path.parent.is_dir() else Path.cwd()
    try:
        stats = os.statvfs(folder)
    except OSError:
        return ""
    if stats.f_flag & os.ST_RDONLY:
        return "read-only"
    if stats.f_bavail * stats.f_frsize < 1_000_000:  # SQLite needs room for its journal, not just a page
        return "full"
    return ""


def _database(exc: sqlite3.Error, where: str) -> str:
    text = str(exc)
    # SQLite reports a full disk as SQLITE_FULL, or as an I/O error when its journal cannot grow.
    lowered = f"{text} {getattr(exc, 'sqlite_errorname', '')} {_place(_cache)}".lower()
    if "full" in lowered:
        return f"{where}: the disk is full; nothing was written and the cache is intact (free space, retry)"
    if "readonly" in lowered or "read-only" in lowered:
        return f"{where}: the cache cannot be written (read-only file or file system); nothing was changed"
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"{where}: not a usable socialdesk cache ({text}); move it away or pass another --db"
    if "unable to open" in lowered:
        return f"{where}: cannot open the cache ({text})"
    return f"{where}: {text}"


def explain(exc: BaseException) -> str | None:
    """One line for a failure of a file or place we use, or None when it is a bug to log."""
    from socialdesk.store.migrate import SchemaTooNew

    where = str(_cache) if _cache is not None else "the cache"
    if isinstance(exc, SchemaTooNew):
        return f"{where}: {exc}; use the socialdesk that wrote it, or another --db"
    if isinstance(exc, sqlite3.Error):
        return _database(exc, where)
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, OSError) and exc.strerror:
        name = exc.filename if exc.filename is not None else where
        return f"{name}: {exc.strerror}"
    return None


def record(exc: BaseException) -> Path | None:
    """Write the error and its traceback (secrets masked) to a new log file; None if none could be written."""
    from socialdesk import locations
    from socialdesk.secrets import redact

    text = redact("".join(traceback.format_exception(exc)))
    try:
        folder = locations.state_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
    except OSError:
        return None
    return path


def summary(exc: BaseException) -> str:
    """The error as one line safe for a terminal (secrets masked, controls removed)."""
    from socialdesk.sanitize import clean
    from socialdesk.secrets import redact

    return clean(redact(f"{type(exc).__name__}: {exc}"), single_line=True)[:300]


def one_line(exc: BaseException, always_log: bool = False) -> str:
    """What to tell the user about `exc`: the known cause, or a summary and where the log is.

    Args:
        always_log: write the log even for a known cause (the desk logs every crash).
    """
    known = explain(exc)
    if known is not None and not always_log:
        from socialdesk.sanitize import clean

        return clean(known, single_line=True)
    log = record(exc)
    where = f"details in {log}" if log else "no log could be written"
    if known is not None:
        from socialdesk.sanitize import clean

        return f"{clean(known, single_line=True)} ({where})"
    return f"unexpected {summary(exc)} ({where})"
