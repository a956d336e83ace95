"""`socialdesk import --survey FILE`: satisfaction survey answers from CSV or JSONL into the cache.

Each answer names the conversation its survey link carried (`{conversation.id}` in the survey macro:
the cache's id of the post answered), a score from 1 (very unsatisfied) to 5 (very satisfied), an
optional comment and when it was answered. A line that breaks the format, or names a conversation
the cache does not hold, is quarantined under `survey:<file name>` with the reason; the good lines
are kept. An answer already imported (same conversation and time) is not added again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec

from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.store import Store

SCORES = range(1, 6)
SATISFIED = 4  # scores of 4 and 5 count as satisfied (the usual CSAT reading)
_CONVERSATION_KEYS = ("conversation", "conversation_id", "conversation.id")
MAX_COMMENT = 4000


class AnswerError(ValueError):
    """A line that is not a survey answer (the message says why)."""


class Answer(msgspec.Struct, frozen=True):
    """One survey answer as imported."""

    post_id: int
    score: int
    comment: str
    answered_at: float


class SurveyImport(msgspec.Struct):
    """What an import did."""

    lines: int = 0
    imported: int = 0
    already: int = 0
    quarantined: int = 0


def parse_answer(record: Mapping[str, object]) -> Answer:
    """Read one answer from a CSV row or a JSON object.

    Raises:
        AnswerError: naming the field that is missing or wrong.
    """
    fields = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
    raw_id = next((fields[k] for k in _CONVERSATION_KEYS if k in fields), None)
    if raw_id is None or str(raw_id).strip() == "":
        raise AnswerError("no conversation id (column conversation)")
    try:
        post_id = int(str(raw_id).strip())
    except ValueError:
        raise AnswerError(f"conversation {str(raw_id)[:40]!r} is not a conversation id (a number)") from None
    raw_score = fields.get("score")
    try:
        score = int(str(raw_score).strip()) if not isinstance(raw_score, bool) else -1
    except ValueError:
        score = -1
    if score not in SCORES:
        raise AnswerError(f"score {str(raw_score)[:20]!r} is not a whole number from 1 to 5")
    comment = fields.get("comment") or ""
    if not isinstance(comment, str):
        raise AnswerError("comment must be text")
    return Answer(post_id, score, clean(comment)[:MAX_COMMENT], _answered_at(fields.get("answered_at")))


def _answered_at(value: object) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise AnswerError("no answered_at (an ISO 8601 time or unix seconds)")
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                when = dt.datetime.fromisoformat(text)
            except ValueError:
                why = f"answered_at {text[:40]!r} is not an ISO 8601 time or unix seconds"
                raise AnswerError(why) from None
            # A time without an offset is read as UTC: survey tools export UTC unless told otherwise.
            seconds = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()
    if not math.isfinite(seconds) or seconds <= 0:
        raise AnswerError(f"answered_at {value!r} is not a time")
    return seconds


def _records(path: Path, text: str) -> Iterator[tuple[int, str, Mapping[str, object] | AnswerError]]:
    """(line number, raw text, the record or why it is not one) for each answer in the file."""
    stripped = text.lstrip("\ufeff")
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or stripped.lstrip().startswith("{"):
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, line, AnswerError(f"not JSON ({exc.msg})")
                continue
            yield number, line, data if isinstance(data, dict) else AnswerError("not a JSON object")
        return
    reader = csv.reader(io.StringIO(stripped, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    if not any(k in header for k in _CONVERSATION_KEYS) or "score" not in header:
        raise UserError(f"{path}: the first line must name the columns conversation, score, answered_at")
    start = reader.line_num
    for row in reader:
        number, start = start + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(row)
        if len(row) > len(header):
            why = f"{len(row)} columns where the header names {len(header)}"
            yield number, out.getvalue(), AnswerError(why)
            continue
        yield number, out.getvalue(), dict(zip(header, row, strict=False))


def import_survey(store: Store, path: Path) -> SurveyImport:
    """Store the answers of a CSV or JSONL file; quarantine the lines that are not answers.

    Raises:
        UserError: the file cannot be read, or a CSV file has no header.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    report = SurveyImport()
    source = f"survey:{path.name}"
    now = time.time()
    with store.transaction() as conn:
        for number, raw, record in _records(path, text):
            report.lines += 1
            try:
                if isinstance(record, AnswerError):
                    raise record
                answer = parse_answer(record)
                if conn.execute("SELECT 1 FROM posts WHERE id = ?", (answer.post_id,)).fetchone() is None:
                    raise AnswerError(f"conversation {answer.post_id} is not in the cache")
            except AnswerError as exc:
                report.quarantined += 1
                store.quarantine(source, f"line {number}: {exc}", raw)  # kept once, however often
                continue
            added = conn.execute(
                "INSERT OR IGNORE INTO survey_answers (post_id, score, comment, answered_at, imported_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (answer.post_id, answer.score, answer.comment, answer.answered_at, now),
            ).rowcount
            report.imported += added
            report.already += 1 - added
    return report
