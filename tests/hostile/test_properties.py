"""Property tests: arbitrary JSON and text into each boundary. No exception escapes, valid neighbours
are stored, nothing unsanitised is printed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialdesk import compose
from socialdesk.config import parse
from socialdesk.connectors.admit import Refused, admit
from socialdesk.connectors.jsonl import LineError, parse_line
from socialdesk.errors import UserError
from socialdesk.sanitize import clean, json_dumps
from socialdesk.services.jsonl_io import import_jsonl
from socialdesk.store import Store
from tests.hostile.corpus import attacker_bytes
from tests.hostile.tally import TALLY

# Every code point, lone surrogates and controls included: what JSON can carry.
ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | ANY_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)
# A line that looks like a post, with any value in any field.
POSTISH = st.fixed_dictionaries(
    {"network": SCALARS, "id": SCALARS, "text": JSON, "created_at": SCALARS, "author": JSON},
    optional={"url": JSON, "kind": SCALARS, "raw": JSON, "in_reply_to": SCALARS, "account": SCALARS},
)
GOOD = {"network": "t", "id": "good", "author": {"handle": "a"}, "text": "fine", "created_at": 1.7e9}


@given(line=st.one_of(POSTISH.map(json.dumps), JSON.map(json.dumps), ANY_TEXT))
def test_a_line_parses_or_is_refused_with_a_reason(line: str) -> None:
    TALLY.case()
    try:
        post = parse_line(line)
        if post is not None:
            admit(post)
    except (LineError, Refused):
        return
    except BaseException:
        TALLY.tracebacks += 1
        raise
    if post is not None:  # what is admitted can be encoded, stored and shown
        for text in (post.text, post.author.handle, post.author.display_name, post.url, post.native_id):
            text.encode("utf-8")
        assert 0 <= post.created_at < 4_102_444_800 and 0 <= post.author.followers < 2**63


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(POSTISH.map(json.dumps), ANY_TEXT), min_size=1, max_size=8))
def test_import_stores_the_good_neighbours_whatever_is_beside_them(tmp_path: Path, lines: list[str]) -> None:
    TALLY.case(len(lines))
    path = tmp_path / "any.jsonl"
    goods = [{**GOOD, "id": f"good-{i}"} for i in range(len(lines) + 1)]
    body = [json.dumps(goods[0])]
    for index, line in enumerate(lines, 1):
        body += [line.replace("\n", " ").replace("\r", " "), json.dumps(goods[index])]
    path.write_text("\n".join(body) + "\n", encoding="utf-8", errors="surrogatepass")
    store = Store(path.with_suffix(".db"))
    try:
        import_jsonl(store, path)
    except BaseException:
        TALLY.tracebacks += 1
        raise
    stored = {r[0] for r in store.conn.execute("SELECT native_id FROM posts WHERE network = 't'")}
    missing = {g["id"] for g in goods} - stored
    TALLY.lost += len(missing)
    store.close()
    path.with_suffix(".db").unlink()
    assert not missing


@given(text=ANY_TEXT, single_line=st.booleans())
def test_clean_output_never_steers_a_terminal(text: str, single_line: bool) -> None:
    TALLY.case()
    shown = clean(text, single_line=single_line)
    found = attacker_bytes(shown)
    TALLY.attacker_bytes += found
    assert found == 0
    shown.encode("utf-8")


@given(value=JSON)
def test_json_output_escapes_what_could_steer_a_terminal(value: Any) -> None:
    TALLY.case()
    try:
        text = json_dumps(value)
    except ValueError:  # NaN and huge ints are JSON's own limits, not ours
        return
    found = attacker_bytes(text)
    TALLY.attacker_bytes += found
    assert found == 0
    text.encode("utf-8")
    assert json.dumps(json.loads(text)) == json.dumps(value)


@given(handles=st.lists(ANY_TEXT, max_size=3), text=ANY_TEXT)
def test_the_mention_prefix_is_clean_and_sent_once(handles: list[str], text: str) -> None:
    TALLY.case()
    prefix = compose.reply_prefix("x", handles)
    found = attacker_bytes(prefix)
    TALLY.attacker_bytes += found
    assert found == 0 and "\n" not in prefix
    sent = compose.with_prefix(prefix, text)
    assert compose.with_prefix(prefix, sent) == sent.strip()  # adding the mentions again changes nothing


TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
)


@given(
    desk=st.dictionaries(
        st.sampled_from(
            ["agent", "roles", "theme", "undo_seconds", "sync_interval", "offline", "db", "bogus"]
        ),
        TOML_VALUES,
    ),
    sla=st.dictionaries(st.sampled_from(["urgent", "high", "normal", "low"]), TOML_VALUES),
)
def test_any_config_is_settings_or_one_clear_error(desk: dict[str, Any], sla: dict[str, Any]) -> None:
    TALLY.case()
    try:
        settings_ = parse({"desk": desk, "sla": sla}, "c.toml")
    except UserError as exc:
        assert str(exc).startswith("c.toml: ")
        return
    except BaseException:
        TALLY.tracebacks += 1
        raise
    import math

    assert math.isfinite(settings_.desk.undo_seconds) and settings_.desk.undo_seconds >= 0
    assert math.isfinite(settings_.desk.sync_interval) and settings_.desk.sync_interval > 0


def test_toml_itself_allows_what_the_config_refuses() -> None:
    """The reason the config checks finiteness: TOML reads inf and nan as floats."""
    assert tomllib.loads("a = inf\nb = nan")["a"] == float("inf")
