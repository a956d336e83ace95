"""Product feedback: tagged posts grouped by what they say, distinct customers counted, newest first,
text sanitised for CSV and Markdown; `socialdesk report feedback` and the playbook rule that tags it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest

from socialdesk.config import SlaSettings
from socialdesk.models import Author, Post
from socialdesk.services import feedback as fb
from socialdesk.services.playbook import load_playbook
from socialdesk.services.rules import Triager
from socialdesk.store import Store, Triage
from tests.cli_run import run

NOW = float(int(time.time()))  # recent posts must fall in the similar-posts index's week
HOUR, DAY = 3600.0, 86400.0
UTC = dt.UTC


def add(store: Store, native: str, text: str, at: float, author: str, network: str = "x",
        tags: tuple[str, ...] = ("feedback",), ours: bool = False) -> int:  # fmt: skip
    who = Author(f"{network}-{author}", author, author.capitalize())  # the same name links networks
    post = Post(network, native, who, text, at, account="brand", is_ours=ours,
                url=f"https://{network}.example/{native}")  # fmt: skip
    return store.upsert_posts([post], [Triage(tags=tags)]).inserted[0]


def seeded(store: Store) -> None:
    dark = "@brand please add a dark mode to the mobile app, my eyes hurt at night"
    add(store, "1", dark, NOW - 5 * HOUR, "annabel")
    # Not the same words (the index finds it similar) and the same customer on another network:
    add(store, "2", "@brand PLEASE add a dark mode to the mobile app!! my eyes really hurt at night",
        NOW - 4 * HOUR, "annabel", network="mastodon")  # fmt: skip
    add(store, "3", dark + " 🙏", NOW - 3 * HOUR, "bobby", network="bluesky")
    add(store, "4", "=HYPERLINK(\"evil\") would be great if exports had csv \x1b[31mcolumns\x1b[0m please",
        NOW - 2 * HOUR, "catherine", tags=("feature-request",))  # fmt: skip
    add(store, "5", "Suggestion: let us pay with gift cards at checkout online", NOW - 20 * DAY, "daniel",
        tags=("idea",))  # fmt: skip
    add(store, "6", "suggestion - let us PAY with gift cards at checkout, online", NOW - 19 * DAY, "evelyn",
        tags=("idea",))  # fmt: skip
    add(store, "7", "please add a dark mode to the mobile app", NOW - HOUR, "brand", ours=True)
    add(store, "8", "the app is down again and I cannot log in at all", NOW - HOUR, "fay", tags=("outage",))


def test_feedback_is_grouped_by_what_it_says_with_distinct_customers_newest_first() -> None:
    store = Store(":memory:")
    seeded(store)
    items = fb.feedback(store.conn, NOW - 30 * DAY, NOW)
    summary = [(i.customers, i.posts, i.networks) for i in items]
    assert summary == [
        (1, 1, ("x",)),  # the csv export request, 2 h ago
        (2, 3, ("bluesky", "mastodon", "x")),  # dark mode: annabel twice (x, mastodon) and bobby
        (2, 2, ("x",)),  # gift cards, 20 days ago: grouped by normalised words (too old for the index)
    ]
    assert items[1].text.startswith("@brand please add a dark mode") and items[1].last_at == NOW - 3 * HOUR
    assert items[1].text.endswith("🙏")  # the newest post's words
    assert "\x1b" not in items[0].text and items[0].text.endswith("csv columns please")
    assert items[2].first_at == NOW - 20 * DAY
    assert fb.feedback(store.conn, NOW - 7 * DAY, NOW)[-1].networks == ("bluesky", "mastodon", "x")


def test_csv_cells_never_become_spreadsheet_formulas_and_markdown_escapes_pipes() -> None:
    store = Store(":memory:")
    add(store, "1", "=cmd|' /C calc'!A0 would be great if you had a | pipe", NOW - HOUR, "ann")
    items = fb.feedback(store.conn, NOW - DAY, NOW)
    rows = list(csv.reader(io.StringIO(fb.as_csv(items, UTC))))
    assert rows[0] == ["last_seen", "first_seen", "customers", "posts", "networks", "text", "url"]
    assert rows[1][5].startswith("'=cmd") and rows[1][2:5] == ["1", "1", "x"]
    markdown = fb.as_markdown(items, UTC, "1d")
    assert "\\| pipe" in markdown and "1 items from 1 customers" in markdown
    assert all(len(re.split(r"(?<!\\)\|", line)) == 7 for line in markdown.splitlines()[2:])  # 5 columns


def test_the_bundled_playbook_tags_product_feedback() -> None:
    triager = Triager.from_playbook(load_playbook(None), SlaSettings())
    post = Post("x", "1", Author("u", "u"), "@brand would be great if the app had a dark mode", NOW)
    assert "feedback" in triager.triage(post).tags
    plain = Post("x", "2", Author("u", "u"), "@brand where is my parcel, it is late", NOW)
    assert "feedback" not in triager.triage(plain).tags


def test_report_feedback_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cache.db"
    store = Store(db)
    seeded(store)
    store.close()
    span = ("--since", dt.datetime.fromtimestamp(NOW - 30 * DAY, UTC).isoformat(),
            "--until", dt.datetime.fromtimestamp(NOW, UTC).isoformat())  # fmt: skip
    base = ("--db", str(db), "--config", "/dev/null", "report")
    code, out, err = run(capsys, *base, "feedback", *span, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["customers"] for r in rows] == ["1", "2", "2"]
    code, out, err = run(capsys, *base, "feedback", *span, "--format", "md")
    assert code == 0, err
    assert out.startswith("**Product feedback,") and "| Last seen | Customers |" in out
    code, out, err = run(capsys, *base, "feedback", "--format", "pdf")
    assert code != 0 and "--format 'pdf': choose one of csv, md" in err
    code, out, err = run(capsys, *base, *span, "--format", "json")  # the figures still answer `report`
    assert code == 0 and '"figures"' in out
